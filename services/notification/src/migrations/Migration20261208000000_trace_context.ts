// Written by hand: the trace of the event that called for a mail, which sending it continues.
import { Migration } from '@orderflow/db';

export class Migration20261208000000_trace_context extends Migration {

  override name = 'Migration20261208000000_trace_context';

  override up(): void | Promise<void> {
    this.addSql(`alter table "notifications" add "trace_context" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "notifications" drop column "trace_context";`);
  }

}
