import { makeEvent, StockRejected, StockReserved, type CloudEvent, type DataOf, type ReserveStock } from '@orderflow/contracts'
import type { OrderBook } from '../domain/order-book.js'
import { mergeLines, planReservation, type StockLine, type StoredRejection } from '../domain/reservation-plan.js'
import { isClosed, type HoldStatus } from '../domain/reservation-status.js'
import { EVENT_SOURCE } from '../service-info.js'

export type ReserveCommand = DataOf<typeof ReserveStock>

export type ReserveOutcome =
  | { kind: 'reserved'; lines: readonly StockLine[]; repeated: boolean }
  | { kind: 'rejected'; rejection: StoredRejection; repeated: boolean }
  /** The order was released (or expired) before this command ran: nothing is reserved, nothing said. */
  | { kind: 'stale'; status: HoldStatus }

export interface Reserved {
  readonly outcome: ReserveOutcome
  /** The verdict to send the saga; none for a stale command. */
  readonly events: readonly CloudEvent[]
}

/**
 * Reserves every line of an order or none, on the batch's locked stock levels: the plan is
 * decided on what the rows hold now (they stay locked until the commit), so no two orders can
 * both take the last unit. An order seen before gets its first verdict again rather than a
 * second reservation: the order's hold, not the inbox, is what makes a retried command (a new
 * event id) harmless.
 */
export function reserveStock(book: OrderBook, command: ReserveCommand, expiresAt: Date): Reserved {
  const { orderId } = command
  const hold = book.hold(orderId)
  if (hold) {
    if (isClosed(hold.status)) return { outcome: { kind: 'stale', status: hold.status }, events: [] }
    if (hold.status === 'REJECTED' && hold.rejection) {
      return { outcome: { kind: 'rejected', rejection: hold.rejection, repeated: true }, events: [rejectedEvent(orderId, hold.rejection)] }
    }
    // RESERVED or COMMITTED: the saga may have missed our answer; tell it again what is held.
    const lines = hold.lines.map(({ sku, quantity }) => ({ sku, quantity }))
    return { outcome: { kind: 'reserved', lines, repeated: true }, events: [reservedEvent(orderId, lines)] }
  }

  const plan = planReservation(mergeLines(command.items), book.levels())
  if (plan.kind === 'reject') {
    const rejection: StoredRejection = { reason: plan.reason, unavailable: [...plan.unavailable] }
    book.open({ orderId, status: 'REJECTED', rejection, expiresAt: null, lines: [] })
    return { outcome: { kind: 'rejected', rejection, repeated: false }, events: [rejectedEvent(orderId, rejection)] }
  }
  for (const line of plan.lines) book.shift(line.sku, 0, line.quantity)
  book.open({ orderId, status: 'RESERVED', rejection: null, expiresAt: expiresAt.toISOString(), lines: plan.lines })
  return { outcome: { kind: 'reserved', lines: plan.lines, repeated: false }, events: [reservedEvent(orderId, plan.lines)] }
}

const reservedEvent = (orderId: string, lines: readonly StockLine[]) =>
  makeEvent(StockReserved, { source: EVENT_SOURCE, subject: orderId, data: { orderId, items: [...lines] } })

const rejectedEvent = (orderId: string, rejection: StoredRejection) =>
  makeEvent(StockRejected, { source: EVENT_SOURCE, subject: orderId, data: { orderId, ...rejection } })
