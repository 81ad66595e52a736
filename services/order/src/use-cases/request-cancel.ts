import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { makeEvent, OrderCancelRequested } from '@orderflow/contracts'
import { enqueueEvents } from '@orderflow/db'
import { canRequestCancel } from '../domain/order-status.js'
import { Order, type IOrder } from '../entities/order.entity.js'
import { TimelineEntry } from '../entities/timeline-entry.entity.js'
import { EVENT_SOURCE } from '../service-info.js'

export type CancelRequestResult =
  | { outcome: 'requested'; order: IOrder }
  | { outcome: 'not-found' }
  | { outcome: 'not-cancellable'; order: IOrder }

/**
 * Records the customer's wish to cancel and tells the saga, which compensates what was done
 * and publishes `order.cancelled` (or refuses if the goods have left meanwhile). The row is
 * locked so a concurrent projection cannot slip a SHIPPED in between the check and the event.
 */
export async function requestCancel(
  em: EntityManager,
  orderId: string,
  requestedBy: string,
  reason: string | undefined,
): Promise<CancelRequestResult> {
  const order = await em.findOne(Order, { id: orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
  if (!order) return { outcome: 'not-found' }
  if (!canRequestCancel(order.status)) return { outcome: 'not-cancellable', order }

  em.create(TimelineEntry, { order, type: 'CANCEL_REQUESTED', at: new Date(), detail: reason ?? null })
  enqueueEvents(em, [
    makeEvent(OrderCancelRequested, {
      source: EVENT_SOURCE,
      subject: order.id,
      data: { orderId: order.id, requestedBy, ...(reason ? { reason } : {}) },
    }),
  ])
  return { outcome: 'requested', order }
}
