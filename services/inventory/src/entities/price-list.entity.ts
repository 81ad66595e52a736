import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import type { Price } from '../domain/price-list.js'

/**
 * A SKU's price list, whole: one price per currency (an empty list: no longer sold). Apart from
 * `stock`, as a SKU may be priced before it is stocked. `version` counts the list's changes from
 * 1 and travels in every `SkuPriced` event, so readers keep the newest list whatever order the
 * events arrive in.
 */
export const PriceList = defineEntity({
  name: 'PriceList',
  tableName: 'price_lists',
  properties: {
    sku: p.string().length(64).primary(),
    prices: p.json<Price[]>(),
    version: p.integer(),
    updatedAt: p.datetime(),
  },
  checks: [{ name: 'price_lists_version_positive', expression: 'version >= 1' }],
})

export type IPriceList = InferEntity<typeof PriceList>
