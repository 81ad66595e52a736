import Type from 'typebox'
import { defineMessage } from '../envelope.js'
import { Streams } from '../streams.js'
import { CustomerId, OrderId, OrderLine } from './common.js'
import { ShippingAddress } from './order.events.js'

const stream = Streams.FULFILLMENT.name

const ShipmentStep = Type.Object(
  {
    orderId: OrderId,
    shipmentId: Type.String({ format: 'uuid' }),
    carrier: Type.Optional(Type.String({ maxLength: 100 })),
    trackingNumber: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
)

/** A shipment was created for a confirmed order and is being picked. */
export const ShipmentPicking = defineMessage({
  type: 'orderflow.fulfillment.picking.v1',
  subject: 'fulfillment.evt.picking',
  stream,
  data: ShipmentStep,
})

export const ShipmentShipped = defineMessage({
  type: 'orderflow.fulfillment.shipped.v1',
  subject: 'fulfillment.evt.shipped',
  stream,
  data: ShipmentStep,
})

export const ShipmentDelivered = defineMessage({
  type: 'orderflow.fulfillment.delivered.v1',
  subject: 'fulfillment.evt.delivered',
  stream,
  data: ShipmentStep,
})

/** Ship a confirmed order. Idempotent per order. */
export const CreateShipment = defineMessage({
  type: 'orderflow.fulfillment.create.v1',
  subject: 'fulfillment.cmd.create',
  stream,
  data: Type.Object(
    {
      orderId: OrderId,
      /**
       * Whose order it is, so that the shipment answers its customer's token. Optional: commands
       * sent before it existed still validate, and their shipments answer staff only.
       */
      customerId: Type.Optional(CustomerId),
      items: Type.Array(OrderLine, { minItems: 1, maxItems: 100 }),
      shippingAddress: Type.Optional(ShippingAddress),
    },
    { additionalProperties: false },
  ),
})

/** Stop a shipment that has not left yet (the customer cancelled). */
export const CancelShipment = defineMessage({
  type: 'orderflow.fulfillment.cancel.v1',
  subject: 'fulfillment.cmd.cancel',
  stream,
  data: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
})

export const ShipmentCancelled = defineMessage({
  type: 'orderflow.fulfillment.cancelled.v1',
  subject: 'fulfillment.evt.cancelled',
  stream,
  data: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
})

/** Too late to stop: the shipment has left. */
export const ShipmentCancelRefused = defineMessage({
  type: 'orderflow.fulfillment.cancel_refused.v1',
  subject: 'fulfillment.evt.cancel_refused',
  stream,
  data: Type.Object({ orderId: OrderId, status: Type.Enum(['SHIPPED', 'DELIVERED'] as const) }, { additionalProperties: false }),
})
