import type { Static } from 'typebox'
import type { IOrder } from '../entities/order.entity.js'
import type { OrderSummaryView, OrderView } from './orders.schemas.js'

export const orderLinks = (id: string) => ({ self: `/v1/orders/${id}`, cancel: `/v1/orders/${id}/cancel` })

export function toSummaryView(order: IOrder): Static<typeof OrderSummaryView> {
  return {
    id: order.id,
    status: order.status,
    customerId: order.customerId,
    currency: order.currency,
    totalAmount: order.totalAmount,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    links: orderLinks(order.id),
  }
}

/** The whole order; `items` and `timeline` must be loaded. */
export function toOrderView(order: IOrder): OrderView {
  return {
    ...toSummaryView(order),
    email: order.email,
    items: order.items.getItems().map((i) => ({
      sku: i.sku,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
      lineTotal: i.quantity * i.unitPrice,
    })),
    ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
    ...(order.failureReason
      ? { failure: { reason: order.failureReason, message: order.failureMessage ?? '' } }
      : {}),
    timeline: order.timeline.getItems().map((e) => ({
      type: e.type,
      at: e.at.toISOString(),
      ...(e.detail ? { detail: e.detail } : {}),
    })),
  }
}
