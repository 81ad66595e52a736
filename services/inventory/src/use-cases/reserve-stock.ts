import type { EntityManager } from '@mikro-orm/postgresql'
import { makeEvent, StockRejected, StockReserved, type DataOf, type ReserveStock } from '@orderflow/contracts'
import { enqueueEvents } from '@orderflow/db'
import { mergeLines, planReservation, type StockLine } from '../domain/reservation-plan.js'
import { isClosed, type HoldStatus } from '../domain/reservation-status.js'
import { OrderHold, type IOrderHold, type StoredRejection } from '../entities/order-hold.entity.js'
import { Reservation, type IReservation } from '../entities/reservation.entity.js'
import { lockStock, reserveLine } from '../repositories/stock.sql.js'
import { EVENT_SOURCE } from '../service-info.js'
import { lockOrderHold } from './order-holds.js'

export type ReserveCommand = DataOf<typeof ReserveStock>

export type ReserveOutcome =
  | { kind: 'reserved'; lines: readonly StockLine[]; repeated: boolean }
  | { kind: 'rejected'; rejection: StoredRejection; repeated: boolean }
  /** The order was released (or expired) before this command ran: nothing is reserved, nothing said. */
  | { kind: 'stale'; status: HoldStatus }

/** A row was locked and checked, yet the conditional update found too little: a bug, never a rejection. */
export class StockInvariantError extends Error {
  override readonly name = 'StockInvariantError'
}

/**
 * Reserves every line of an order or none, in the caller's transaction (the inbox row commits
 * with it). The stock rows are locked in SKU order, the plan decided on what they hold, and
 * each line reserved with a conditional update. An order seen before gets its first verdict
 * again rather than a second reservation: the order's hold row, not the inbox, is what makes a
 * retried command (a new event id) harmless.
 */
export async function reserveStock(em: EntityManager, command: ReserveCommand, ttlSeconds: number): Promise<ReserveOutcome> {
  const { orderId } = command
  const { hold, lines: held } = await lockOrderHold(em, orderId)
  if (hold) return repeatVerdict(em, hold, held)

  const lines = mergeLines(command.items)
  const plan = planReservation(lines, await lockStock(em, lines.map((l) => l.sku)))
  if (plan.kind === 'reject') {
    const rejection: StoredRejection = { reason: plan.reason, unavailable: [...plan.unavailable] }
    em.create(OrderHold, { orderId, status: 'REJECTED', rejection, expiresAt: null })
    enqueueEvents(em, [rejectedEvent(orderId, rejection)])
    return { kind: 'rejected', rejection, repeated: false }
  }

  for (const line of plan.lines) {
    if (!(await reserveLine(em, line))) throw new StockInvariantError(`stock of ${line.sku} changed under its row lock`)
  }
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000)
  em.create(OrderHold, { orderId, status: 'RESERVED', rejection: null, expiresAt })
  for (const line of plan.lines) em.create(Reservation, { orderId, ...line, status: 'RESERVED', expiresAt })
  enqueueEvents(em, [reservedEvent(orderId, plan.lines)])
  return { kind: 'reserved', lines: plan.lines, repeated: false }
}

function repeatVerdict(em: EntityManager, hold: IOrderHold, held: readonly IReservation[]): ReserveOutcome {
  if (isClosed(hold.status)) return { kind: 'stale', status: hold.status }
  if (hold.status === 'REJECTED' && hold.rejection) {
    enqueueEvents(em, [rejectedEvent(hold.orderId, hold.rejection)])
    return { kind: 'rejected', rejection: hold.rejection, repeated: true }
  }
  // RESERVED or COMMITTED: the saga may have missed our answer; tell it again what is held.
  const lines = held.map(({ sku, quantity }) => ({ sku, quantity }))
  enqueueEvents(em, [reservedEvent(hold.orderId, lines)])
  return { kind: 'reserved', lines, repeated: true }
}

const reservedEvent = (orderId: string, lines: readonly StockLine[]) =>
  makeEvent(StockReserved, { source: EVENT_SOURCE, subject: orderId, data: { orderId, items: [...lines] } })

const rejectedEvent = (orderId: string, rejection: StoredRejection) =>
  makeEvent(StockRejected, { source: EVENT_SOURCE, subject: orderId, data: { orderId, ...rejection } })
