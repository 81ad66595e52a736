import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import {
  OrderCancelled,
  OrderCancelRefused,
  OrderConfirmed,
  OrderFailed,
  OrderProgressed,
  ShipmentCancelled,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  isEventOf,
  type CloudEvent,
  type DataOf,
} from '@orderflow/contracts'
import { canMove, type OrderStatus } from '../domain/order-status.js'
import { Order } from '../entities/order.entity.js'
import { TimelineEntry } from '../entities/timeline-entry.entity.js'

/** What one saga or shipment event means for the order. */
interface Projection {
  timeline: string
  status?: OrderStatus
  detail?: string
  failure?: DataOf<typeof OrderFailed>
}

function projectionOf(event: CloudEvent): Projection | undefined {
  if (isEventOf(OrderConfirmed, event)) return { timeline: 'CONFIRMED', status: 'CONFIRMED' }
  if (isEventOf(OrderFailed, event)) {
    return { timeline: 'FAILED', status: 'FAILED', detail: event.data.message, failure: event.data }
  }
  if (isEventOf(OrderCancelled, event)) {
    return { timeline: 'CANCELLED', status: 'CANCELLED', ...(event.data.reason ? { detail: event.data.reason } : {}) }
  }
  if (isEventOf(OrderProgressed, event)) return { timeline: event.data.step, ...(event.data.detail ? { detail: event.data.detail } : {}) }
  if (isEventOf(OrderCancelRefused, event)) return { timeline: 'CANCEL_REFUSED', detail: event.data.message }
  if (isEventOf(ShipmentPicking, event)) return { timeline: 'PICKING' }
  if (isEventOf(ShipmentCancelled, event)) return { timeline: 'SHIPMENT_CANCELLED' }
  if (isEventOf(ShipmentShipped, event)) return { timeline: 'SHIPPED', status: 'SHIPPED' }
  if (isEventOf(ShipmentDelivered, event)) return { timeline: 'DELIVERED', status: 'DELIVERED' }
  return undefined
}

export type ProjectionResult = 'applied' | 'stale' | 'unknown-order' | 'ignored'

/**
 * Moves the order's status and appends to its timeline for one saga outcome or shipment event,
 * in the caller's transaction (the inbox row commits with it). The order row is locked so the
 * projections of two consumers on one order run one after the other. A move the status machine
 * refuses (a late or out-of-order event) changes nothing and is reported `stale`.
 * `alreadyLocked`: the caller locked (and so loaded) the order with {@link lockOrders} in this
 * transaction; it is then taken from the EntityManager without another round trip.
 */
export async function projectEvent(em: EntityManager, event: CloudEvent, opts: { alreadyLocked?: boolean } = {}): Promise<ProjectionResult> {
  const projection = projectionOf(event)
  if (!projection) return 'ignored'
  const order = opts.alreadyLocked
    ? await em.findOne(Order, { id: event.subject })
    : await em.findOne(Order, { id: event.subject }, { lockMode: LockMode.PESSIMISTIC_WRITE })
  if (!order) return 'unknown-order'
  if (projection.status) {
    if (!canMove(order.status, projection.status)) return 'stale'
    order.status = projection.status
  }
  if (projection.failure) {
    order.failureReason = projection.failure.reason
    order.failureMessage = projection.failure.message
  }
  em.create(TimelineEntry, {
    order,
    type: projection.timeline,
    at: new Date(event.time),
    detail: projection.detail ?? null,
    eventId: event.id,
  })
  return 'applied'
}

/**
 * Locks and loads several orders in one statement, in id order, so two transactions locking
 * overlapping sets cannot deadlock (each waits for the other only on its smallest shared id).
 */
export async function lockOrders(em: EntityManager, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return
  await em.find(Order, { id: { $in: [...orderIds] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } })
}
