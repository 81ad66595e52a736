import { makeEvent, type CloudEvent, type ShipmentPicking } from '@orderflow/contracts'
import { EVENT_SOURCE } from '../service-info.js'

/** Picking, shipped and delivered share one data schema (a shipment step). */
type StepDefinition = typeof ShipmentPicking

/** What a step event says about the shipment. */
export interface StepFacts {
  readonly orderId: string
  readonly shipmentId: string
  readonly carrier?: string | null
  readonly trackingNumber?: string | null
}

/** The event announcing the shipment's current step, as it stands. */
export function stepEvent(definition: StepDefinition, shipment: StepFacts, time: Date): CloudEvent {
  return makeEvent(definition, {
    source: EVENT_SOURCE,
    subject: shipment.orderId,
    time,
    data: {
      orderId: shipment.orderId,
      shipmentId: shipment.shipmentId,
      ...(shipment.carrier ? { carrier: shipment.carrier } : {}),
      ...(shipment.trackingNumber ? { trackingNumber: shipment.trackingNumber } : {}),
    },
  })
}
