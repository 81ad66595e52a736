import { randomUUID } from 'node:crypto'
import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { makeEvent, ShipmentCancelled, ShipmentCancelRefused, type CloudEvent } from '@orderflow/contracts'
import { captureTraceContext, enqueueEvents } from '@orderflow/db'
import { cancelDecision } from '../domain/shipment-status.js'
import { Shipment, type IShipment } from '../entities/shipment.entity.js'
import { EVENT_SOURCE } from '../service-info.js'

/**
 * `cancelled`: a shipment being picked was stopped. `cancelled-before-create`: the cancel came
 * first; a CANCELLED record now stops the create when it arrives. `already-cancelled`: answered
 * again, nothing changed. `refused`: the shipment has left.
 */
export type CancelShipmentOutcome = 'cancelled' | 'cancelled-before-create' | 'already-cancelled' | 'refused'

/**
 * Stops the order's shipment if it has not left, in the caller's transaction. Every cancel
 * command gets exactly one answer — `fulfillment.cancelled` or `fulfillment.cancel_refused` —
 * so the saga, which asked, always hears back; a redelivered command is stopped by the inbox.
 */
export async function cancelShipment(em: EntityManager, orderId: string, now = new Date()): Promise<CancelShipmentOutcome> {
  const shipment = await em.findOne(Shipment, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
  if (!shipment) {
    em.create(Shipment, {
      orderId,
      shipmentId: randomUUID(),
      status: 'CANCELLED',
      carrier: null,
      trackingNumber: null,
      items: null,
      shippingAddress: null,
      nextStepAt: null,
      traceContext: captureTraceContext(),
      createdAt: now,
      updatedAt: now,
    })
    enqueueEvents(em, [cancelled(orderId, now)])
    return 'cancelled-before-create'
  }

  const decision = cancelDecision(shipment.status)
  if (decision === 'refuse') {
    enqueueEvents(em, [refused(shipment, now)])
    return 'refused'
  }
  if (decision === 'cancel') {
    shipment.status = 'CANCELLED'
    shipment.nextStepAt = null
  }
  enqueueEvents(em, [cancelled(orderId, now)])
  return decision === 'cancel' ? 'cancelled' : 'already-cancelled'
}

const cancelled = (orderId: string, time: Date): CloudEvent =>
  makeEvent(ShipmentCancelled, { source: EVENT_SOURCE, subject: orderId, time, data: { orderId } })

function refused(shipment: IShipment, time: Date): CloudEvent {
  // cancelDecision refuses only these two; anything else here is a bug worth failing loudly.
  if (shipment.status !== 'SHIPPED' && shipment.status !== 'DELIVERED') throw new Error(`cannot refuse a cancel in status ${shipment.status}`)
  return makeEvent(ShipmentCancelRefused, {
    source: EVENT_SOURCE,
    subject: shipment.orderId,
    time,
    data: { orderId: shipment.orderId, status: shipment.status },
  })
}
