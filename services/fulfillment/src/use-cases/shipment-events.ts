import { makeEvent, type CloudEvent, type ShipmentPicking } from '@orderflow/contracts'
import type { IShipment } from '../entities/shipment.entity.js'
import { EVENT_SOURCE } from '../service-info.js'

/** Picking, shipped and delivered share one data schema (a shipment step). */
type StepDefinition = typeof ShipmentPicking

/** The event announcing the shipment's current step, as it stands on the row. */
export function stepEvent(definition: StepDefinition, shipment: IShipment, time: Date): CloudEvent {
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
