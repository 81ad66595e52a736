import { makeEvent, StockReleased } from '@orderflow/contracts'
import { enqueueEvents, type Orm, type OutboxPublisher } from '@orderflow/db'
import { mergeLines } from '../domain/reservation-plan.js'
import { shiftStock } from '../repositories/stock.sql.js'
import { EVENT_SOURCE } from '../service-info.js'

export interface ExpiryDeps {
  readonly orm: Orm
  /** Publishes the `inventory.released` events right after the sweep's commit. */
  readonly outbox: Pick<OutboxPublisher, 'publishCommitted'>
}

/**
 * Releases up to `batchSize` orders whose reservation is past `expires_at`, in one transaction,
 * and sends `inventory.released` for each, so a saga that wakes up late hears why its stock is
 * gone. Orders are claimed with SKIP LOCKED: replicas sweep disjoint batches, and an order a
 * command batch has locked is left to it (it reads EXPIRED or not, never half). Locks follow the
 * consumers' order, holds then stock by SKU; the holds' SKIP LOCKED never waits. The events are
 * published by this process right after the commit (the relay only sweeps what that missed).
 * Returns how many orders expired.
 */
export async function expireDueReservations({ orm, outbox }: ExpiryDeps, batchSize: number): Promise<number> {
  const { expired, rows } = await orm.em.fork().transactional(async (em) => {
    const due = await em.execute<{ order_id: string }[]>(
      `select order_id from order_holds where status = 'RESERVED' and expires_at <= now()
        order by expires_at limit ? for update skip locked`,
      [batchSize],
    )
    if (due.length === 0) return { expired: 0, rows: [] }
    const orderIds = due.map((r) => r.order_id)
    const lines = await em.execute<{ sku: string; quantity: number }[]>(
      `update reservations set status = 'EXPIRED' where order_id in (?) and status = 'RESERVED' returning sku, quantity`,
      [orderIds],
    )
    // Summed per SKU: one change per stock row however many orders of the batch hold it.
    await shiftStock(em, mergeLines(lines).map((l) => ({ sku: l.sku, onHand: 0, reserved: -l.quantity })))
    await em.execute(`update order_holds set status = 'EXPIRED', expires_at = null, updated_at = now() where order_id in (?)`, [orderIds])
    const events = orderIds.map((orderId) => makeEvent(StockReleased, { source: EVENT_SOURCE, subject: orderId, data: { orderId } }))
    return { expired: orderIds.length, rows: enqueueEvents(em, events) }
  })
  outbox.publishCommitted(rows)
  return expired
}
