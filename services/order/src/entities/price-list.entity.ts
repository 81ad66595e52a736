import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/** One currency's unit price in a price list, in minor units. */
export interface ListedPrice {
  readonly currency: string
  readonly unitPrice: number
}

/**
 * The order service's copy of a SKU's price list, kept from the inventory's `SkuPriced` events
 * (the inventory owns prices): intake prices every order from it, in its own database, so
 * placing an order stays one local transaction. `version` is the inventory's count of the SKU's
 * price changes: an event older than the row is ignored.
 */
export const PriceList = defineEntity({
  name: 'PriceList',
  tableName: 'price_lists',
  properties: {
    sku: p.string().length(64).primary(),
    version: p.integer(),
    prices: p.json<ListedPrice[]>(),
    updatedAt: p.datetime(),
  },
})

export type IPriceList = InferEntity<typeof PriceList>
