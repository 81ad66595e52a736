// Written by hand: LOGGED, for a mail only written to the log (no SMTP_URL), which nobody received.
import { Migration } from '@orderflow/db';

export class Migration20261207190000_logged_status extends Migration {

  override name = 'Migration20261207190000_logged_status';

  override up(): void | Promise<void> {
    this.addSql(`alter table "notifications" drop constraint "notifications_status_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_status_check" check ("status" in ('PENDING', 'SENT', 'LOGGED', 'FAILED'));`);
    this.addSql(`alter table "notifications" drop constraint "notifications_sent_at_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_sent_at_check" check ((status in ('SENT', 'LOGGED')) = (sent_at is not null));`);
    this.addSql(`alter table "notifications" drop constraint "notifications_schedule_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_schedule_check" check ((status <> 'SENT' and status <> 'LOGGED') or next_attempt_at is null);`);
  }

  override down(): void | Promise<void> {
    // What was only logged was never sent: it goes back to being due, as PENDING.
    this.addSql(`alter table "notifications" drop constraint "notifications_schedule_check";`);
    this.addSql(`alter table "notifications" drop constraint "notifications_sent_at_check";`);
    this.addSql(`alter table "notifications" drop constraint "notifications_status_check";`);
    this.addSql(`update "notifications" set "status" = 'PENDING', "sent_at" = null, "next_attempt_at" = now() where "status" = 'LOGGED';`);
    this.addSql(`alter table "notifications" add constraint "notifications_status_check" check ("status" in ('PENDING', 'SENT', 'FAILED'));`);
    this.addSql(`alter table "notifications" add constraint "notifications_sent_at_check" check ((status = 'SENT') = (sent_at is not null));`);
    this.addSql(`alter table "notifications" add constraint "notifications_schedule_check" check (status <> 'SENT' or next_attempt_at is null);`);
  }

}
