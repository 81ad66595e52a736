import type { IShipment } from '../entities/shipment.entity.js'
import type { ShipmentView } from './shipments.schemas.js'

export function toShipmentView(s: IShipment): ShipmentView {
  return {
    orderId: s.orderId,
    shipmentId: s.shipmentId,
    status: s.status,
    ...(s.carrier ? { carrier: s.carrier } : {}),
    ...(s.trackingNumber ? { trackingNumber: s.trackingNumber } : {}),
    items: s.items ?? [],
    ...(s.shippingAddress ? { shippingAddress: s.shippingAddress } : {}),
    ...(s.nextStepAt ? { nextStepAt: s.nextStepAt.toISOString() } : {}),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  }
}
