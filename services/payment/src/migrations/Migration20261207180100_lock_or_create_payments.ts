// Written by hand: the consumers' statement one (see src/repositories/payments.sql.ts).
import { Migration } from '@orderflow/db';

export class Migration20261207180100_lock_or_create_payments extends Migration {

  override name = 'Migration20261207180100_lock_or_create_payments';

  override up(): void | Promise<void> {
    // Creates the payments `orders` names that do not exist yet, then returns all of them locked,
    // in order-id order. A function because statement one runs it inside a select, where an
    // INSERT cannot go; volatile, so its select takes a snapshot of its own after the insert and
    // sees a payment another transaction committed while the insert waited for it. `= any(array(…))`
    // rather than `in (select …)`: a set-returning function is estimated at 100 rows, and a semi
    // join against 100 rows reads the whole table; an array is looked up in the primary key.
    this.addSql(`create function "payments_lock_or_create"(orders jsonb) returns setof "payments" language sql volatile as \$\$
  insert into payments (order_id, payment_id, amount, currency, status, created_at, updated_at, version)
  select o.order_id, gen_random_uuid(), o.amount, o.currency, o.status, now(), now(), 1
    from jsonb_to_recordset(orders) as o(order_id uuid, amount bigint, currency varchar(3), status text)
   order by o.order_id
  on conflict (order_id) do nothing;
  select p.* from payments p
   where p.order_id = any(array(select o.order_id from jsonb_to_recordset(orders) as o(order_id uuid)))
   order by p.order_id
     for update of p;
\$\$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function if exists "payments_lock_or_create"(jsonb);`);
  }

}
