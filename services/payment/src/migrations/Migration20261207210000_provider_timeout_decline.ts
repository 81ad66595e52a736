// Written by hand: PROVIDER_TIMEOUT, the decline the service itself answers when the provider
// did not answer an authorization in time (and whatever it may have held was cancelled).
import { Migration } from '@orderflow/db';

export class Migration20261207210000_provider_timeout_decline extends Migration {

  override name = 'Migration20261207210000_provider_timeout_decline';

  override up(): void | Promise<void> {
    this.addSql(`alter table "payments" drop constraint "payments_decline_reason_check";`);
    this.addSql(`alter table "payments" add constraint "payments_decline_reason_check" check ("decline_reason" in ('CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'PROVIDER_TIMEOUT'));`);
  }

  override down(): void | Promise<void> {
    // The earlier version knows no decline but the card's; the payment stays DECLINED (nothing is
    // held) and its message still says the provider did not answer.
    this.addSql(`alter table "payments" drop constraint "payments_decline_reason_check";`);
    this.addSql(`update "payments" set "decline_reason" = 'CARD_DECLINED' where "decline_reason" = 'PROVIDER_TIMEOUT';`);
    this.addSql(`alter table "payments" add constraint "payments_decline_reason_check" check ("decline_reason" in ('CARD_DECLINED', 'INSUFFICIENT_FUNDS'));`);
  }

}
