import { randomUUID } from 'node:crypto'
import { makeEvent, OrderCreated } from '@orderflow/contracts'
import { outboxRows, type OutboxRow } from '@orderflow/db'
import { orderTotal } from '../domain/order-total.js'
import type { OrderDetails } from '../routes/order-view.js'
import type { CreateOrderBody } from '../routes/orders.schemas.js'
import { EVENT_SOURCE } from '../service-info.js'

export class OrderTotalTooLargeError extends Error {
  override readonly name = 'OrderTotalTooLargeError'
}

/** A new order as it is stored: the order (PENDING), its items, its first timeline entry and its event. */
export interface PlacedOrder {
  readonly order: OrderDetails & { readonly createdBy: string }
  /** `order.created`, checked against its contract, ready for the outbox. */
  readonly event: OutboxRow
}

/**
 * Accepts an order: the order (PENDING), its items, the first timeline entry and the
 * `order.created` event, to be stored together (see `insertPlacedOrders`). The saga takes it from
 * the event; nothing here waits for stock or payment.
 */
export function placeOrder(input: CreateOrderBody, createdBy: string): PlacedOrder {
  const totalAmount = orderTotal(input.items)
  if (totalAmount === undefined) throw new OrderTotalTooLargeError('order total exceeds the largest amount accepted')

  const now = new Date()
  const id = randomUUID()
  const event = makeEvent(OrderCreated, {
    source: EVENT_SOURCE,
    subject: id,
    time: now,
    data: {
      orderId: id,
      customerId: input.customerId,
      email: input.email,
      currency: input.currency,
      items: input.items,
      totalAmount,
      ...(input.shippingAddress ? { shippingAddress: input.shippingAddress } : {}),
      ...(input.payment ? { payment: input.payment } : {}),
    },
  })
  const [row] = outboxRows([event])
  if (!row) throw new Error('outboxRows returned no row for one event')
  return {
    order: {
      id,
      status: 'PENDING',
      customerId: input.customerId,
      email: input.email,
      currency: input.currency,
      totalAmount,
      shippingAddress: input.shippingAddress ?? null,
      failureReason: null,
      failureMessage: null,
      createdBy,
      createdAt: now,
      updatedAt: now,
      items: input.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
      timeline: [{ type: 'CREATED', at: now, detail: null }],
    },
    event: row,
  }
}
