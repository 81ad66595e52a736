import { randomUUID } from 'node:crypto'
import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { ShipmentPicking, type CreateShipment, type DataOf } from '@orderflow/contracts'
import { captureTraceContext, enqueueEvents } from '@orderflow/db'
import { Shipment } from '../entities/shipment.entity.js'
import { after, type ShipmentSchedule } from './schedule.js'
import { stepEvent } from './shipment-events.js'

/**
 * `created`: a new shipment is being picked. `exists`: the order already has one (a second
 * create command), nothing changes. `cancelled`: a cancel overtook this create; the order must
 * not ship, and the cancel has already been answered.
 */
export type CreateShipmentOutcome = 'created' | 'exists' | 'cancelled'

/**
 * Starts the order's shipment (PICKING, first step scheduled) and enqueues `fulfillment.picking`,
 * in the caller's transaction. Two creates (or a create and a cancel) for one order racing each
 * other meet on the order id, the primary key: the loser's insert fails, its transaction rolls
 * back and its redelivery finds the winner's row.
 */
export async function createShipment(
  em: EntityManager,
  command: DataOf<typeof CreateShipment>,
  schedule: ShipmentSchedule,
  now = new Date(),
): Promise<CreateShipmentOutcome> {
  const existing = await em.findOne(Shipment, { orderId: command.orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
  if (existing) return existing.status === 'CANCELLED' ? 'cancelled' : 'exists'

  const shipment = em.create(Shipment, {
    orderId: command.orderId,
    shipmentId: randomUUID(),
    status: 'PICKING',
    carrier: null,
    trackingNumber: null,
    items: command.items,
    shippingAddress: command.shippingAddress ?? null,
    nextStepAt: after(now, schedule.shipAfterMs),
    traceContext: captureTraceContext(),
    createdAt: now,
    updatedAt: now,
  })
  enqueueEvents(em, [stepEvent(ShipmentPicking, shipment, now)])
  return 'created'
}
