// Written by hand: the NOTIFY trigger is gone from OutboxMessage, so no generated diff drops it.
import { Migration } from '@orderflow/db';

export class Migration20261207180000_outbox_without_notify extends Migration {

  override name = 'Migration20261207180000_outbox_without_notify';

  override up(): void | Promise<void> {
    // Outbox rows are published by the process that committed them; the relay sweeps the rest.
    this.addSql(`drop trigger if exists "outbox_notify" on "outbox";`);
    this.addSql(`drop function if exists "outbox_outbox_notify_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function "outbox_outbox_notify_fn"() returns trigger as \$\$ begin perform pg_notify('outbox', ''); return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "outbox_notify" AFTER INSERT on "outbox" for each STATEMENT execute function "outbox_outbox_notify_fn"();`);
  }

}
