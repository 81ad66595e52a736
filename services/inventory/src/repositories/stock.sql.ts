import type { EntityManager } from '@mikro-orm/postgresql'
import type { StockDelta } from '../domain/order-book.js'

/**
 * Applies per-SKU deltas through the ORM's connection (the expiry worker's path; the consumers
 * write with `writeOrders`): the rows are locked first in SKU order, `collate "C"`, as every
 * writer of stock rows locks them (see `lockOrders`), then moved in one update.
 */
export async function shiftStock(em: EntityManager, deltas: readonly StockDelta[]): Promise<void> {
  if (deltas.length === 0) return
  await em.execute(`select 1 from stock where sku in (?) order by sku collate "C" for update`, [deltas.map((d) => d.sku)])
  await em.execute(
    `update stock s set on_hand = s.on_hand + d.on_hand, reserved = s.reserved + d.reserved, version = s.version + 1, updated_at = now()
       from (values ${deltas.map(() => '(?, ?::int, ?::int)').join(', ')}) as d(sku, on_hand, reserved)
      where s.sku = d.sku`,
    deltas.flatMap((d) => [d.sku, d.onHand, d.reserved]),
  )
}
