import type { Static } from 'typebox'
import type { IOrder } from '../entities/order.entity.js'
import { canRequestCancel, type OrderStatus } from '../domain/order-status.js'
import type { OrderSummaryView, OrderView } from './orders.schemas.js'

/** The order's links: `cancel` only while a cancel can still be accepted (PENDING or CONFIRMED). */
export function orderLinks(id: string, status: OrderStatus): { self: string; cancel?: string } {
  const self = `/v1/orders/${id}`
  return canRequestCancel(status) ? { self, cancel: `${self}/cancel` } : { self }
}

/** What a summary shows of an order. */
type OrderSummary = Pick<IOrder, 'id' | 'customerId' | 'currency' | 'totalAmount' | 'createdAt' | 'updatedAt'> & { readonly status: OrderStatus }

/** What the whole view shows of an order, as plain data: an entity with its collections loaded, or a new order. */
export interface OrderDetails extends OrderSummary {
  readonly email: string
  readonly shippingAddress?: IOrder['shippingAddress'] | null
  readonly failureReason?: IOrder['failureReason'] | null
  readonly failureMessage?: string | null
  readonly items: ReadonlyArray<{ readonly sku: string; readonly quantity: number; readonly unitPrice: number }>
  readonly timeline: ReadonlyArray<{ readonly type: string; readonly at: Date; readonly detail?: string | null }>
}

export function toSummaryView(order: OrderSummary): Static<typeof OrderSummaryView> {
  return {
    id: order.id,
    status: order.status,
    customerId: order.customerId,
    currency: order.currency,
    totalAmount: order.totalAmount,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    links: orderLinks(order.id, order.status),
  }
}

/** The whole order; an entity's `items` and `timeline` must be loaded. */
export function toOrderView(order: IOrder): OrderView {
  return orderView({ ...order, items: order.items.getItems(), timeline: order.timeline.getItems() })
}

export function orderView(order: OrderDetails): OrderView {
  return {
    ...toSummaryView(order),
    email: order.email,
    items: order.items.map((i) => ({
      sku: i.sku,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
      lineTotal: i.quantity * i.unitPrice,
    })),
    ...(order.shippingAddress ? { shippingAddress: order.shippingAddress } : {}),
    ...(order.failureReason
      ? { failure: { reason: order.failureReason, message: order.failureMessage ?? '' } }
      : {}),
    timeline: order.timeline.map((e) => ({
      type: e.type,
      at: e.at.toISOString(),
      ...(e.detail ? { detail: e.detail } : {}),
    })),
  }
}
