import { Migration } from '@orderflow/db';

export class Migration20261208011000_saga_trace_parent extends Migration {

  override name = 'Migration20261208011000_saga_trace_parent';

  override up(): void | Promise<void> {
    // The order's trace, as intake saw it: what the deadline sweep sends continues it.
    this.addSql(`alter table "sagas" add column "trace_parent" varchar(55) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "sagas" drop column "trace_parent";`);
  }

}
