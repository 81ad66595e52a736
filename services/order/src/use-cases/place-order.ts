import { randomUUID } from 'node:crypto'
import { makeEvent, OrderCreated, type DataOf } from '@orderflow/contracts'
import { outboxRows, type OutboxRow } from '@orderflow/db'
import { orderTotal } from '../domain/order-total.js'
import type { OrderStatus } from '../domain/order-status.js'
import type { OrderDetails } from '../routes/order-view.js'
import type { CreateOrderBody } from '../routes/orders.schemas.js'
import type { PricedLine } from '../domain/pricing.js'
import { failureOf, toColumns, type SagaColumns } from '../saga/saga-row.js'
import { startSaga } from '../saga/saga-start.js'
import type { SagaTimings } from '../saga/saga.js'
import { toEvents } from '../saga/saga-events.js'
import { EVENT_SOURCE } from '../service-info.js'

export class OrderTotalTooLargeError extends Error {
  override readonly name = 'OrderTotalTooLargeError'
}

/**
 * A new order as it is stored, in one statement: the order with its items and timeline, its saga
 * (started: RESERVING with ReserveStock, or FAILED at once) and the messages for the outbox —
 * `order.created` for whoever follows orders, and the saga's first command.
 */
export interface PlacedOrder {
  readonly order: OrderDetails & { readonly createdBy: string }
  readonly saga: SagaColumns
  /** Checked against their contracts, ready for the outbox. */
  readonly outbox: readonly OutboxRow[]
}

/** An order as the client sent it, its lines priced from the price list. */
export type PricedOrder = Omit<CreateOrderBody, 'items'> & { readonly items: readonly PricedLine[] }

/** Accepts an order and starts its saga; nothing here waits for stock or payment. */
export function placeOrder(input: PricedOrder, createdBy: string, timings: SagaTimings): PlacedOrder {
  const totalAmount = orderTotal(input.items)
  if (totalAmount === undefined) throw new OrderTotalTooLargeError('order total exceeds the largest amount accepted')

  const now = new Date()
  const id = randomUUID()
  // What the saga needs of the order; the card token stays with the saga and is not published.
  const data: DataOf<typeof OrderCreated> = {
    orderId: id,
    customerId: input.customerId,
    email: input.email,
    currency: input.currency,
    items: input.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    totalAmount,
    ...(input.shippingAddress ? { shippingAddress: input.shippingAddress } : {}),
  }
  const start = startSaga({ ...data, payment: input.payment }, { now, ...timings })
  const saga = { ...start.saga, createdAt: now }
  const failure = failureOf(saga)
  const status: OrderStatus = failure ? 'FAILED' : 'PENDING'
  const created = makeEvent(OrderCreated, { source: EVENT_SOURCE, subject: id, time: now, data })
  const timeline = [{ type: 'CREATED', at: now, detail: null }, ...(failure ? [{ type: 'FAILED', at: now, detail: failure.message }] : [])]
  return {
    order: {
      id,
      status,
      customerId: input.customerId,
      email: input.email,
      currency: input.currency,
      totalAmount,
      shippingAddress: input.shippingAddress ?? null,
      failureReason: failure?.reason ?? null,
      failureMessage: failure?.message ?? null,
      createdBy,
      createdAt: now,
      updatedAt: now,
      items: input.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
      timeline,
    },
    saga: toColumns(saga),
    outbox: outboxRows([created, ...toEvents(id, start.send, now)]),
  }
}
