import { sql, type RawBuilder } from 'kysely'
import { OrderBook, type Hold } from '../domain/order-book.js'
import type { StockLine, StoredRejection } from '../domain/reservation-plan.js'
import type { HoldStatus } from '../domain/reservation-status.js'

/** What {@link lockOrders} loads, as JSON. */
export interface LockedOrders {
  readonly holds: readonly { order_id: string; status: HoldStatus; rejection: StoredRejection | null; expires_at: string | null }[]
  readonly lines: readonly { order_id: string; sku: string; quantity: number }[]
  readonly stock: readonly { sku: string; on_hand: number; reserved: number }[]
}

/**
 * The load-and-lock query of a command batch (statement one, run by `BatchTx.claim`), in the
 * lock order every writer of the service agrees on: the orders' holds by order id, then the
 * stock rows by SKU — of every SKU the commands name and every SKU those orders hold. The gate
 * `(select count(*) from held) >= 0` is a one-time filter: PostgreSQL evaluates it, and so takes
 * every hold lock, before it scans stock. The expiry worker takes holds (SKIP LOCKED, never
 * waiting) then stock by SKU; the stock PUT one stock row. So no two transactions wait on each
 * other in a circle. SKUs are ordered `collate "C"` (bytes, as JavaScript compares them) so the
 * order does not depend on the database's locale. Lines are read, not locked: whoever writes a
 * line holds its order's hold.
 *
 * A hold that existed when the statement started comes back in its latest version (FOR UPDATE
 * rereads a row it waited for), with the lines it was created with (lines never change but for
 * their status, which always equals the hold's). An order new to the inventory has no hold to
 * lock, and one statement cannot wait for it safely: it reads with the snapshot it started
 * with, so after waiting for an advisory lock (or for another transaction's insert of the hold)
 * it still does not see the hold that transaction created meanwhile, nor its lines (tried on
 * PostgreSQL 15: the stock row waited for comes back fresh, the hold created meanwhile not at
 * all; an upsert would return the hold, but its lines would still be missing). Placeholder holds
 * could not be inserted here anyway: this query runs inside claim's sub-select, where PostgreSQL
 * forbids data-modifying CTEs. So the hold's primary key guards new orders, in statement two,
 * and a batch that lost that race runs again: see `writeOrders`.
 */
export function lockOrders(orderIds: readonly string[], skus: readonly string[]): RawBuilder<LockedOrders> {
  return sql<LockedOrders>`with held as materialized (
      select order_id, status, rejection, expires_at from order_holds
       where order_id = any(${[...orderIds]}::uuid[])
       order by order_id for update),
    lines as materialized (
      select r.order_id, r.sku, r.quantity from reservations r where r.order_id in (select order_id from held)),
    locked as materialized (
      select sku, on_hand, reserved from stock
       where sku = any(${[...skus]}::text[] || array(select sku::text from lines))
         and (select count(*) from held) >= 0
       order by sku collate "C" for update)
    select (select coalesce(json_agg(held), '[]') from held) as holds,
           (select coalesce(json_agg(lines), '[]') from lines) as lines,
           (select coalesce(json_agg(locked), '[]') from locked) as stock`
}

/** The locked rows as the book a batch's commands are applied to. */
export function orderBookOf(locked: LockedOrders | undefined): OrderBook {
  const lines = new Map<string, StockLine[]>()
  for (const l of locked?.lines ?? []) {
    const held = lines.get(l.order_id) ?? []
    held.push({ sku: l.sku, quantity: l.quantity })
    lines.set(l.order_id, held)
  }
  const holds = (locked?.holds ?? []).map(
    (h): Hold => ({
      orderId: h.order_id,
      status: h.status,
      rejection: h.rejection,
      expiresAt: h.expires_at,
      lines: (lines.get(h.order_id) ?? []).sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)),
    }),
  )
  return new OrderBook(
    holds,
    (locked?.stock ?? []).map((s) => [s.sku, { onHand: s.on_hand, reserved: s.reserved }] as const),
  )
}
