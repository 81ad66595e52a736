import { randomUUID } from 'node:crypto'
import { makeEvent, ShipmentCancelled, ShipmentCancelRefused, type CloudEvent } from '@orderflow/contracts'
import { cancelDecision } from '../domain/shipment-status.js'
import { EVENT_SOURCE } from '../service-info.js'
import type { NewShipment, ShipmentChange, ShipmentState } from './shipment-state.js'

/**
 * `cancelled`: a shipment being picked was stopped. `cancelled-before-create`: the cancel came
 * first; a CANCELLED record now stops the create when it arrives. `already-cancelled`: answered
 * again, nothing changed. `refused`: the shipment has left.
 */
export type CancelShipmentOutcome = 'cancelled' | 'cancelled-before-create' | 'already-cancelled' | 'refused'

export interface CancelShipmentResult {
  readonly outcome: CancelShipmentOutcome
  /** The answer: `fulfillment.cancelled` or `fulfillment.cancel_refused`. */
  readonly event: CloudEvent
  /** The CANCELLED record of an order that had no shipment yet. */
  readonly insert?: NewShipment
  /** The change to the order's shipment, if any. */
  readonly change?: ShipmentChange
}

/**
 * Decides a cancel command against the order's current shipment (`undefined`: none). Every
 * cancel command gets exactly one answer, so the saga, which asked, always hears back; a
 * redelivered command is stopped by the inbox before it gets here.
 */
export function cancelShipment(current: ShipmentState | undefined, orderId: string, now: Date, shipmentId: string = randomUUID()): CancelShipmentResult {
  if (!current) {
    const insert: NewShipment = { orderId, shipmentId, status: 'CANCELLED', customerId: null, items: null, shippingAddress: null, nextStepAt: null }
    return { outcome: 'cancelled-before-create', event: cancelled(orderId, now), insert }
  }
  const decision = cancelDecision(current.status)
  if (decision === 'refuse') return { outcome: 'refused', event: refused(current, now) }
  if (decision === 'already-cancelled') return { outcome: 'already-cancelled', event: cancelled(current.orderId, now) }
  return { outcome: 'cancelled', event: cancelled(current.orderId, now), change: { status: 'CANCELLED', nextStepAt: null } }
}

const cancelled = (orderId: string, time: Date): CloudEvent =>
  makeEvent(ShipmentCancelled, { source: EVENT_SOURCE, subject: orderId, time, data: { orderId } })

function refused(shipment: ShipmentState, time: Date): CloudEvent {
  // cancelDecision refuses only these two; anything else here is a bug worth failing loudly.
  if (shipment.status !== 'SHIPPED' && shipment.status !== 'DELIVERED') throw new Error(`cannot refuse a cancel in status ${shipment.status}`)
  return makeEvent(ShipmentCancelRefused, {
    source: EVENT_SOURCE,
    subject: shipment.orderId,
    time,
    data: { orderId: shipment.orderId, status: shipment.status },
  })
}
