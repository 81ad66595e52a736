// Written by hand: the mail sender's schedule, and the rows in flight when it is deployed.
import { Migration } from '@orderflow/db';

export class Migration20261207181000_mail_sender extends Migration {

  override name = 'Migration20261207181000_mail_sender';

  override up(): void | Promise<void> {
    this.addSql(`alter table "notifications" add column "next_attempt_at" timestamptz null;`);
    // Unsent mails whose events were still being retried (the consumers sent mail until now) go
    // to the sender. Older ones had run out of deliveries and were dead-lettered: they stay as
    // they are; replaying their event re-arms them.
    this.addSql(`update "notifications" set "next_attempt_at" = now() where "status" <> 'SENT' and "updated_at" > now() - interval '1 hour';`);
    this.addSql(`create index "notifications_due_idx" on "notifications" ("next_attempt_at") where next_attempt_at is not null;`);
    this.addSql(`alter table "notifications" add constraint "notifications_schedule_check" check (status <> 'SENT' or next_attempt_at is null);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "notifications" drop constraint "notifications_schedule_check";`);
    this.addSql(`drop index "notifications_due_idx";`);
    this.addSql(`alter table "notifications" drop column "next_attempt_at";`);
  }

}
