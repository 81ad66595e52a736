import { makeEvent, StockReleased, type CloudEvent } from '@orderflow/contracts'
import type { OrderBook } from '../domain/order-book.js'
import { EVENT_SOURCE } from '../service-info.js'

export type ReleaseOutcome = 'released' | 'restocked' | 'nothing-held' | 'already-released'

/**
 * Gives back what the order holds, on the batch's locked stock levels: a RESERVED line returns
 * to `available`, a COMMITTED one (a confirmed order cancelled before it shipped) back to
 * `on_hand`. `inventory.released` goes out whatever was held, because the saga waits for it. An
 * order never seen before gets a RELEASED hold, so a reserve command overtaken by this release
 * reserves nothing when it finally runs.
 */
export function releaseStock(book: OrderBook, orderId: string): { outcome: ReleaseOutcome; events: readonly CloudEvent[] } {
  return { outcome: giveBack(book, orderId), events: [makeEvent(StockReleased, { source: EVENT_SOURCE, subject: orderId, data: { orderId } })] }
}

function giveBack(book: OrderBook, orderId: string): ReleaseOutcome {
  const hold = book.hold(orderId)
  if (!hold) {
    book.open({ orderId, status: 'RELEASED', rejection: null, expiresAt: null, lines: [] })
    return 'nothing-held'
  }
  if (hold.status === 'REJECTED') return 'nothing-held'
  if (hold.status !== 'RESERVED' && hold.status !== 'COMMITTED') return 'already-released'
  const committed = hold.status === 'COMMITTED'
  for (const l of hold.lines) {
    if (committed) book.shift(l.sku, l.quantity, 0)
    else book.shift(l.sku, 0, -l.quantity)
  }
  book.settle(orderId, 'RELEASED')
  return committed ? 'restocked' : 'released'
}
