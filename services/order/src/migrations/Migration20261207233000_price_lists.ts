import { Migration } from '@orderflow/db';

export class Migration20261207233000_price_lists extends Migration {

  override name = 'Migration20261207233000_price_lists';

  override up(): void | Promise<void> {
    // The inventory's price lists, as its SkuPriced events tell them: intake prices orders from here.
    this.addSql(`create table "price_lists" ("sku" varchar(64) not null, "version" int not null, "prices" jsonb not null, "updated_at" timestamptz not null, primary key ("sku"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "price_lists" cascade;`);
  }

}
