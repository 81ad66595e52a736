import { Migration } from '@orderflow/db';

export class Migration20261207180000_saga_beside_order extends Migration {

  override name = 'Migration20261207180000_saga_beside_order';

  override up(): void | Promise<void> {
    this.addSql(`create table "sagas" ("order_id" uuid not null, "state" text not null, "version" int not null default 1, "deadline_at" timestamptz null, "progress" jsonb not null, "payment_token" varchar(200) null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("order_id"));`);
    this.addSql(`create index "sagas_deadline_idx" on "sagas" ("deadline_at") where deadline_at is not null;`);
    this.addSql(`create index "sagas_state_idx" on "sagas" ("state");`);
    this.addSql(`alter table "sagas" add constraint "sagas_state_check" check ("state" in ('RESERVING', 'AUTHORIZING', 'CONFIRMED', 'CANCELLING', 'SHIPPED', 'DELIVERED', 'COMPENSATING', 'FAILED', 'CANCELLED'));`);
    this.addSql(`alter table "sagas" add constraint "sagas_order_id_foreign" foreign key ("order_id") references "orders" ("id") on delete cascade;`);

    // Outbox rows are published by the process that committed them; the relay sweeps the rest.
    this.addSql(`drop trigger if exists "outbox_notify" on "outbox";`);
    this.addSql(`drop function if exists "outbox_outbox_notify_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function "outbox_outbox_notify_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "outbox_notify" AFTER INSERT on "outbox" for each STATEMENT execute function "outbox_outbox_notify_fn"();`);
    this.addSql(`drop table if exists "sagas" cascade;`);
  }

}
