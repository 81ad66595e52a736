import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import { makeEvent, OrderCreated } from '@orderflow/contracts'
import { enqueueEvents } from '@orderflow/db'
import { orderTotal } from '../domain/order-total.js'
import { Order, type IOrder } from '../entities/order.entity.js'
import { OrderItem } from '../entities/order-item.entity.js'
import { TimelineEntry } from '../entities/timeline-entry.entity.js'
import type { CreateOrderBody } from '../routes/orders.schemas.js'
import { EVENT_SOURCE } from '../service-info.js'

export class OrderTotalTooLargeError extends Error {
  override readonly name = 'OrderTotalTooLargeError'
}

/**
 * Accepts an order: the order (PENDING), its items, the first timeline entry and the
 * `order.created` event in the outbox, in the caller's transaction. The saga takes it from
 * the event; nothing here waits for stock or payment.
 */
export function placeOrder(em: EntityManager, input: CreateOrderBody, createdBy: string): IOrder {
  const totalAmount = orderTotal(input.items)
  if (totalAmount === undefined) throw new OrderTotalTooLargeError('order total exceeds the largest amount accepted')

  const now = new Date()
  const order = em.create(Order, {
    id: randomUUID(),
    customerId: input.customerId,
    email: input.email,
    currency: input.currency,
    totalAmount,
    status: 'PENDING',
    shippingAddress: input.shippingAddress ?? null,
    createdBy,
    createdAt: now,
    updatedAt: now,
  })
  input.items.forEach((line, position) => em.create(OrderItem, { order, position, ...line }))
  em.create(TimelineEntry, { order, type: 'CREATED', at: now })

  const event = makeEvent(OrderCreated, {
    source: EVENT_SOURCE,
    subject: order.id,
    time: now,
    data: {
      orderId: order.id,
      customerId: input.customerId,
      email: input.email,
      currency: input.currency,
      items: input.items,
      totalAmount,
      ...(input.shippingAddress ? { shippingAddress: input.shippingAddress } : {}),
      ...(input.payment ? { payment: input.payment } : {}),
    },
  })
  enqueueEvents(em, [event])
  return order
}
