import type { EntityManager } from '@mikro-orm/postgresql'
import type { StockLevel, StockLine } from '../domain/reservation-plan.js'

/** A change to one SKU's counters, in units (either may be negative). */
export interface StockDelta {
  readonly sku: string
  readonly onHand: number
  readonly reserved: number
}

/**
 * Serialises every command for one order (reserve, release, commit) on a transaction-scoped
 * advisory lock. The commands arrive on three consumers and can run at the same moment; without
 * this a release could read "nothing held" while a reserve for the same order is about to commit.
 * A lock on the order's hold row cannot do it: before the first command there is no row.
 */
export async function lockOrder(em: EntityManager, orderId: string): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(hashtextextended('inventory-order:' || ?, 0))`, [orderId])
}

/**
 * Every lock a batch of commands for several orders needs, taken up front in the one order all
 * writers agree on: the orders' advisory locks (in key order), then their hold rows (in order id
 * order), then the stock rows of every SKU the commands name or the orders hold (in SKU order).
 * A single command takes its order's lock, its hold, then its SKUs in order, and the expiry
 * worker holds (SKIP LOCKED) before stock; so no two transactions can wait on each other in a
 * circle. The handlers then take the same locks again, which a transaction already holding them
 * gets at once.
 */
export async function lockOrdersForBatch(em: EntityManager, orderIds: readonly string[], skus: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return
  const ids = [...new Set(orderIds)]
  await em.execute(
    `select pg_advisory_xact_lock(k) from (
       select distinct hashtextextended('inventory-order:' || id, 0) as k
         from (values ${ids.map(() => '(?)').join(', ')}) as v(id) order by k) as keys`,
    ids,
  )
  await em.execute(`select order_id from order_holds where order_id in (?) order by order_id for update`, [ids])
  const held = await em.execute<{ sku: string }[]>(`select distinct sku from reservations where order_id in (?)`, [ids])
  const all = [...new Set([...skus, ...held.map((r) => r.sku)])]
  if (all.length > 0) await lockStock(em, all)
}

/**
 * Locks the stock rows of `skus` in SKU order and returns their levels; unknown SKUs are absent.
 * Every writer of stock rows locks them in SKU order, so concurrent transactions queue instead
 * of deadlocking.
 */
export async function lockStock(em: EntityManager, skus: readonly string[]): Promise<Map<string, StockLevel>> {
  const rows = await em.execute<{ sku: string; on_hand: number; reserved: number }[]>(
    `select sku, on_hand, reserved from stock where sku in (?) order by sku for update`,
    [[...skus]],
  )
  return new Map(rows.map((r) => [r.sku, { onHand: r.on_hand, reserved: r.reserved }]))
}

/**
 * Reserves one line if it still fits; returns whether it did. The condition repeats the plan's
 * check inside the statement, so even a caller that skipped the lock could not oversell.
 */
export async function reserveLine(em: EntityManager, line: StockLine): Promise<boolean> {
  const { affectedRows } = await em.execute<{ affectedRows: number }>(
    `update stock set reserved = reserved + ?, version = version + 1, updated_at = now()
      where sku = ? and on_hand - reserved >= ?`,
    [line.quantity, line.sku, line.quantity],
    'run',
  )
  return affectedRows === 1
}

/** Applies the deltas one SKU at a time in SKU order (see {@link lockStock}). */
export async function shiftStock(em: EntityManager, deltas: readonly StockDelta[]): Promise<void> {
  const sorted = [...deltas].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
  for (const d of sorted) {
    await em.execute(
      `update stock set on_hand = on_hand + ?, reserved = reserved + ?, version = version + 1, updated_at = now() where sku = ?`,
      [d.onHand, d.reserved, d.sku],
    )
  }
}
