import type { EntityManager } from '@mikro-orm/postgresql'
import { makeEvent, StockCommitted } from '@orderflow/contracts'
import { enqueueEvents } from '@orderflow/db'
import type { HoldStatus } from '../domain/reservation-status.js'
import { shiftStock } from '../repositories/stock.sql.js'
import { EVENT_SOURCE } from '../service-info.js'
import { lockOrderHold } from './order-holds.js'

export type CommitOutcome =
  | { kind: 'committed'; repeated: boolean }
  /** Nothing is reserved for the order (never reserved, rejected, released or expired). */
  | { kind: 'not-held'; status: HoldStatus | null }

/**
 * The order is confirmed: its reserved units leave the books (`on_hand` and `reserved` both
 * drop, `available` is unchanged). A repeated commit answers again without a second effect.
 */
export async function commitStock(em: EntityManager, orderId: string): Promise<CommitOutcome> {
  const { hold, lines } = await lockOrderHold(em, orderId)
  if (!hold || (hold.status !== 'RESERVED' && hold.status !== 'COMMITTED')) return { kind: 'not-held', status: hold?.status ?? null }
  const repeated = hold.status === 'COMMITTED'
  if (!repeated) {
    await shiftStock(em, lines.map((l) => ({ sku: l.sku, onHand: -l.quantity, reserved: -l.quantity })))
    for (const line of lines) line.status = 'COMMITTED'
    hold.status = 'COMMITTED'
    hold.expiresAt = null
  }
  enqueueEvents(em, [makeEvent(StockCommitted, { source: EVENT_SOURCE, subject: orderId, data: { orderId } })])
  return { kind: 'committed', repeated }
}
