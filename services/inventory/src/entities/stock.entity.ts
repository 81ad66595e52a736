import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/**
 * Stock of one SKU. `reserved` counts units promised to orders that are not yet committed, so
 * what can still be sold is `on_hand - reserved`. The CHECK is the last line of defence against
 * an oversell: whatever a bug does, the database refuses a row that promises more than it has.
 */
export const Stock = defineEntity({
  name: 'Stock',
  tableName: 'stock',
  properties: {
    sku: p.string().length(64).primary(),
    onHand: p.integer(),
    reserved: p.integer().default(0),
    /** Bumped by every change, including the consumers' plain SQL updates. */
    version: p.integer().version(),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  checks: [{ name: 'stock_reserved_within_on_hand', expression: 'reserved >= 0 and reserved <= on_hand' }],
})

export type IStock = InferEntity<typeof Stock>
