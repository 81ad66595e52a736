import type { Orm } from '@orderflow/db'
import { problemResponse, requireRoles, type Plugin } from '@orderflow/http'
import { Shipment } from '../entities/shipment.entity.js'
import { FulfillmentErrors } from '../fulfillment.errors.js'
import { toShipmentView } from './shipment-view.js'
import { OrderIdParams, ShipmentView } from './shipments.schemas.js'

export interface ShipmentRoutesOptions {
  orm: Orm
}

/** The shipment API, mounted under `/v1` inside `protectedRoutes`. */
export const shipmentRoutes: Plugin<ShipmentRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/shipments/:orderId',
    {
      onRequest: requireRoles('orders:read'),
      schema: {
        summary: "Get an order's shipment",
        description: 'Its status, carrier and tracking number once shipped, and when the next step is due.',
        tags: ['shipments'],
        params: OrderIdParams,
        response: { 200: ShipmentView, 400: problemResponse('Malformed order id'), 404: problemResponse('No shipment for this order') },
      },
    },
    async (request) => {
      const { orderId } = request.params
      const shipment = await orm.em.fork().findOne(Shipment, { orderId })
      if (!shipment) {
        throw FulfillmentErrors.SHIPMENT_NOT_FOUND({ detail: `There is no shipment for order ${orderId}.`, extra: { orderId } })
      }
      return toShipmentView(shipment)
    },
  )
}
