import { Migration } from '@orderflow/db';

export class Migration20261208003000_saga_state_since extends Migration {

  override name = 'Migration20261208003000_saga_state_since';

  override up(): void | Promise<void> {
    // When each saga entered its state: how long it stays in a state (saga_state_duration_seconds)
    // and how long the oldest has been in each (sagas_oldest_in_state_seconds, for a stuck saga).
    this.addSql(`alter table "sagas" add column "state_since" timestamptz not null default now();`);
    // A saga in flight has not moved since its last write, the nearest time it is known by.
    this.addSql(`update "sagas" set "state_since" = "updated_at" where "state" not in ('DELIVERED', 'FAILED', 'CANCELLED');`);
    // The in-flight gauges read count and oldest per state from the index alone.
    this.addSql(`drop index "sagas_state_idx";`);
    this.addSql(`create index "sagas_state_since_idx" on "sagas" ("state", "state_since");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "sagas_state_since_idx";`);
    this.addSql(`create index "sagas_state_idx" on "sagas" ("state");`);
    this.addSql(`alter table "sagas" drop column "state_since";`);
  }

}
