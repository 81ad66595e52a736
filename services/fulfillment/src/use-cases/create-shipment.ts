import { randomUUID } from 'node:crypto'
import { ShipmentPicking, type CloudEvent, type CreateShipment, type DataOf } from '@orderflow/contracts'
import { after, type ShipmentSchedule } from './schedule.js'
import { stepEvent } from './shipment-events.js'
import type { NewShipment, ShipmentState } from './shipment-state.js'

/**
 * `created`: a new shipment is being picked. `exists`: the order already has one (a second
 * create command), nothing changes. `cancelled`: a cancel overtook this create; the order must
 * not ship, and the cancel has already been answered.
 */
export type CreateShipmentOutcome = 'created' | 'exists' | 'cancelled'

export type CreateShipmentResult =
  | { readonly outcome: 'created'; readonly shipment: NewShipment; readonly event: CloudEvent }
  | { readonly outcome: 'exists' | 'cancelled' }

/**
 * Decides a create command against the order's current shipment (`undefined`: none): a first
 * create starts a PICKING shipment, first step scheduled, and announces `fulfillment.picking`;
 * anything after it changes nothing — the order id is the key, so an order ships at most once.
 */
export function createShipment(
  current: ShipmentState | undefined,
  command: DataOf<typeof CreateShipment>,
  schedule: ShipmentSchedule,
  now: Date,
  shipmentId: string = randomUUID(),
): CreateShipmentResult {
  if (current) return { outcome: current.status === 'CANCELLED' ? 'cancelled' : 'exists' }
  const shipment: NewShipment = {
    orderId: command.orderId,
    customerId: command.customerId ?? null,
    shipmentId,
    status: 'PICKING',
    items: command.items,
    shippingAddress: command.shippingAddress ?? null,
    nextStepAt: after(now, schedule.shipAfterMs),
  }
  return { outcome: 'created', shipment, event: stepEvent(ShipmentPicking, shipment, now) }
}
