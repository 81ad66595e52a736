import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/** Audit of every stock PUT: who changed the count of which SKU, by how much and why. */
export const StockAdjustment = defineEntity({
  name: 'StockAdjustment',
  tableName: 'stock_adjustments',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    sku: p.string().length(64),
    /** Signed difference in on-hand units (0 for a stocktake that found the expected count). */
    change: p.integer(),
    onHandAfter: p.integer(),
    reason: p.string().length(200),
    /** The JWT subject that made the change. */
    actor: p.string().length(200),
    at: p.datetime().onCreate(() => new Date()),
  },
  // A SKU's history, newest first.
  indexes: [{ properties: ['sku', 'at'] }],
})

export type IStockAdjustment = InferEntity<typeof StockAdjustment>
