import type { Orm } from '@orderflow/db'
import { CUSTOMER_ROLE, customerScope, problemResponse, requireAnyRole, type Plugin } from '@orderflow/http'
import { Shipment } from '../entities/shipment.entity.js'
import { FulfillmentErrors } from '../fulfillment.errors.js'
import { toShipmentView } from './shipment-view.js'
import { OrderIdParams, ShipmentView } from './shipments.schemas.js'

export interface ShipmentRoutesOptions {
  orm: Orm
}

/**
 * The shipment API, mounted under `/v1` inside `protectedRoutes`. Staff (`orders:read`) read any
 * order's shipment; a customer token its own orders' only (another customer's is a 404, as an
 * unknown one is), known from the customer CreateShipment named.
 */
export const shipmentRoutes: Plugin<ShipmentRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/shipments/:orderId',
    {
      onRequest: requireAnyRole('orders:read', CUSTOMER_ROLE),
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
      const own = customerScope(request.user, 'orders:read')
      if (!shipment || (own !== undefined && shipment.customerId !== own)) {
        throw FulfillmentErrors.SHIPMENT_NOT_FOUND({ detail: `There is no shipment for order ${orderId}.`, extra: { orderId } })
      }
      return toShipmentView(shipment)
    },
  )
}
