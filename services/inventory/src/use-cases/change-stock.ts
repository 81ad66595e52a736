import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { applyStockChange, type StockChange } from '../domain/stock-change.js'
import { StockAdjustment } from '../entities/stock-adjustment.entity.js'
import { Stock, type IStock } from '../entities/stock.entity.js'

export type ChangeStockResult =
  | { kind: 'changed'; stock: IStock; created: boolean }
  | { kind: 'not-found' }
  | { kind: 'below-reserved'; stock: IStock; onHand: number }
  | { kind: 'above-limit'; stock: IStock; onHand: number }

/**
 * A stock PUT, in the caller's transaction: the row is locked (a reserve waits, and sees the
 * new count), the change checked against what is reserved, and the audit row written. A `set`
 * creates an unknown SKU; an `adjust` of an unknown one is refused, as there is nothing to adjust.
 */
export async function changeStock(em: EntityManager, sku: string, change: StockChange, actor: string): Promise<ChangeStockResult> {
  let created = false
  if ('set' in change) {
    // ON CONFLICT: two first PUTs of one SKU at once both succeed, one after the other.
    const inserted = await em.execute<{ sku: string }[]>(
      `insert into stock (sku, on_hand, reserved, version, updated_at) values (?, 0, 0, 1, now()) on conflict do nothing returning sku`,
      [sku],
    )
    created = inserted.length > 0
  }
  const stock = await em.findOne(Stock, { sku }, { lockMode: LockMode.PESSIMISTIC_WRITE })
  if (!stock) return { kind: 'not-found' }
  const result = applyStockChange(stock, change)
  if (!result.ok) return { kind: result.refusal, stock, onHand: result.onHand }
  stock.onHand = result.onHand
  em.create(StockAdjustment, { sku, change: result.change, onHandAfter: result.onHand, reason: change.reason, actor })
  await em.flush()
  return { kind: 'changed', stock, created }
}
