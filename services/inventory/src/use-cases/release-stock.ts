import type { EntityManager } from '@mikro-orm/postgresql'
import { makeEvent, StockReleased } from '@orderflow/contracts'
import { enqueueEvents } from '@orderflow/db'
import { OrderHold } from '../entities/order-hold.entity.js'
import { shiftStock } from '../repositories/stock.sql.js'
import { EVENT_SOURCE } from '../service-info.js'
import { lockOrderHold } from './order-holds.js'

export type ReleaseOutcome = 'released' | 'restocked' | 'nothing-held' | 'already-released'

/**
 * Gives back what the order holds, in the caller's transaction: a RESERVED line returns to
 * `available`, a COMMITTED one (a confirmed order cancelled before it shipped) back to
 * `on_hand`. `inventory.released` goes out whatever was held, because the saga waits for it.
 * An order never seen before gets a RELEASED hold, so a reserve command overtaken by this
 * release reserves nothing when it finally runs.
 */
export async function releaseStock(em: EntityManager, orderId: string): Promise<ReleaseOutcome> {
  const { hold, lines } = await lockOrderHold(em, orderId)
  const outcome = await giveBack()
  enqueueEvents(em, [makeEvent(StockReleased, { source: EVENT_SOURCE, subject: orderId, data: { orderId } })])
  return outcome

  async function giveBack(): Promise<ReleaseOutcome> {
    if (!hold) {
      em.create(OrderHold, { orderId, status: 'RELEASED', rejection: null, expiresAt: null })
      return 'nothing-held'
    }
    if (hold.status === 'REJECTED') return 'nothing-held'
    if (hold.status !== 'RESERVED' && hold.status !== 'COMMITTED') return 'already-released'
    const committed = hold.status === 'COMMITTED'
    await shiftStock(
      em,
      lines.map((l) => (committed ? { sku: l.sku, onHand: l.quantity, reserved: 0 } : { sku: l.sku, onHand: 0, reserved: -l.quantity })),
    )
    for (const line of lines) line.status = 'RELEASED'
    hold.status = 'RELEASED'
    hold.expiresAt = null
    return committed ? 'restocked' : 'released'
  }
}
