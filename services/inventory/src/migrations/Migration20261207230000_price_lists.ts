// Written as `create` generates it from the entity definitions (PriceList): review it, then commit it.
import { Migration } from '@orderflow/db';

export class Migration20261207230000_price_lists extends Migration {

  override name = 'Migration20261207230000_price_lists';

  override up(): void | Promise<void> {
    this.addSql(`create table "price_lists" ("sku" varchar(64) not null, "prices" jsonb not null, "version" int not null, "updated_at" timestamptz not null, primary key ("sku"));`);

    this.addSql(`alter table "price_lists" add constraint "price_lists_version_positive" check (version >= 1);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "price_lists" cascade;`);
  }

}
