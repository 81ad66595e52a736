import Type, { type Static } from 'typebox'
import { OrderLine, ShippingAddress } from '@orderflow/contracts'
import { SHIPMENT_STATUSES } from '../domain/shipment-status.js'

export const OrderIdParams = Type.Object({ orderId: Type.String({ format: 'uuid' }) })

export const ShipmentView = Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  shipmentId: Type.String({ format: 'uuid' }),
  status: Type.Enum(SHIPMENT_STATUSES),
  carrier: Type.Optional(Type.String()),
  trackingNumber: Type.Optional(Type.String()),
  /** Empty for a shipment cancelled before it was created. */
  items: Type.Array(OrderLine),
  shippingAddress: Type.Optional(ShippingAddress),
  /** When the next simulated step is due; absent once DELIVERED or CANCELLED. */
  nextStepAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type ShipmentView = Static<typeof ShipmentView>
