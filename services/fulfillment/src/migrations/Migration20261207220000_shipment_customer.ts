// Written by hand: the customer of a shipment, from CreateShipment, so that a customer's token
// reads its own shipments.
import { Migration } from '@orderflow/db';

export class Migration20261207220000_shipment_customer extends Migration {

  override name = 'Migration20261207220000_shipment_customer';

  override up(): void | Promise<void> {
    // Null for shipments made before it (and for a cancel that came first): staff alone read those.
    this.addSql(`alter table "shipments" add column "customer_id" varchar(100) null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "shipments" drop column "customer_id";`);
  }

}
