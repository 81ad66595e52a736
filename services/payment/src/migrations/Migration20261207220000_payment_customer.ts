// Written by hand: the customer of a payment, from AuthorizePayment, so that a customer's token
// reads its own payments; payments_lock_or_create (20261207180100) learns to write it.
import { Migration } from '@orderflow/db';

export class Migration20261207220000_payment_customer extends Migration {

  override name = 'Migration20261207220000_payment_customer';

  override up(): void | Promise<void> {
    // Null for payments made before it (and for a void that came first): staff alone read those.
    this.addSql(`alter table "payments" add column "customer_id" varchar(100) null;`);
    this.addSql(`create or replace function "payments_lock_or_create"(orders jsonb) returns setof "payments" language sql volatile as \$\$
  insert into payments (order_id, customer_id, payment_id, amount, currency, status, created_at, updated_at, version)
  select o.order_id, o.customer_id, gen_random_uuid(), o.amount, o.currency, o.status, now(), now(), 1
    from jsonb_to_recordset(orders) as o(order_id uuid, customer_id varchar(100), amount bigint, currency varchar(3), status text)
   order by o.order_id
  on conflict (order_id) do nothing;
  select p.* from payments p
   where p.order_id = any(array(select o.order_id from jsonb_to_recordset(orders) as o(order_id uuid)))
   order by p.order_id
     for update of p;
\$\$;`);
  }

  override down(): void | Promise<void> {
    // The function's rows are the table's: drop it with the column, then make it again as it was.
    this.addSql(`drop function if exists "payments_lock_or_create"(jsonb);`);
    this.addSql(`alter table "payments" drop column "customer_id";`);
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

}
