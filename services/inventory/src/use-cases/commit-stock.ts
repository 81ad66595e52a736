import { makeEvent, StockCommitted, type CloudEvent } from '@orderflow/contracts'
import type { OrderBook } from '../domain/order-book.js'
import type { HoldStatus } from '../domain/reservation-status.js'
import { EVENT_SOURCE } from '../service-info.js'

export type CommitOutcome =
  | { kind: 'committed'; repeated: boolean }
  /** Nothing is reserved for the order (never reserved, rejected, released or expired). */
  | { kind: 'not-held'; status: HoldStatus | null }

/**
 * The order is confirmed: its reserved units leave the books (`on_hand` and `reserved` both
 * drop, `available` is unchanged). A repeated commit answers again without a second effect; an
 * order that holds nothing gets no answer (the caller decides what that means).
 */
export function commitStock(book: OrderBook, orderId: string): { outcome: CommitOutcome; events: readonly CloudEvent[] } {
  const hold = book.hold(orderId)
  if (!hold || (hold.status !== 'RESERVED' && hold.status !== 'COMMITTED')) return { outcome: { kind: 'not-held', status: hold?.status ?? null }, events: [] }
  const repeated = hold.status === 'COMMITTED'
  if (!repeated) {
    for (const l of hold.lines) book.shift(l.sku, -l.quantity, -l.quantity)
    book.settle(orderId, 'COMMITTED')
  }
  return { outcome: { kind: 'committed', repeated }, events: [makeEvent(StockCommitted, { source: EVENT_SOURCE, subject: orderId, data: { orderId } })] }
}
