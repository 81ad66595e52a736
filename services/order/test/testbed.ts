import { randomUUID } from 'node:crypto'
import type { Static, TSchema } from 'typebox'
import {
  makeEvent,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentVoided,
  ShipmentCancelled,
  ShipmentCancelRefused,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  StockCommitted,
  StockRejected,
  StockReleased,
  StockReserved,
  type CloudEvent,
  type DataOf,
  type MessageDefinition,
} from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import { handleBatch, serviceTestbed } from '@orderflow/testing/service'
import type { OrderConfigSchema } from '../src/config.js'
import { countInFlight } from '../src/saga/count-in-flight.js'
import { fulfillmentReplies, inventoryReplies, paymentReplies, sagaReplies } from '../src/saga/saga-replies.consumer.js'
import { sagaMetrics } from '../src/saga/saga.metrics.js'
import type { SagaTimings } from '../src/saga/saga.js'
import { orderService } from '../src/service.js'
import { readPriceLists, writePriceLists } from '../src/catalog/price-lists.sql.js'

export type OrderConfig = Static<typeof OrderConfigSchema>

interface TestLike {
  teardown(fn: () => unknown): void
}

/**
 * The order service on a database and NATS namespace of its own; see serviceTestbed. Its price
 * lists hold {@link orderBody}'s SKUs at its prices; `priceItems` adds what a test orders besides.
 */
export async function orderTestbed(t: TestLike, env: Record<string, string> = {}) {
  const tb = await serviceTestbed(t, orderService, env)
  await priceItems(tb, orderBody())
  return tb
}

export type OrderTestbed = Awaited<ReturnType<typeof orderTestbed>>

/**
 * Writes price lists (as the inventory's SkuPriced events would) that sell an order body's items
 * in its currency at the unit prices it carries; a SKU already listed gets a newer list.
 */
export async function priceItems(tb: Pick<OrderTestbed, 'ctx'>, body: Record<string, unknown>): Promise<void> {
  const currency = body.currency as string
  const lines = body.items as Array<{ sku: string; unitPrice: number }>
  const { rows } = await readPriceLists(lines.map((l) => l.sku)).execute(tb.ctx.db)
  const versions = new Map(rows.map((r) => [r.sku, r.version]))
  const lists = lines.map((l) => ({ sku: l.sku, version: (versions.get(l.sku) ?? 0) + 1, prices: [{ currency, unitPrice: l.unitPrice }] }))
  await writePriceLists(lists).execute(tb.ctx.db)
}

/** The saga's timings from a testbed's config, as service.ts passes them. */
export const timingsOf = (tb: OrderTestbed): SagaTimings => ({ stepTimeoutMs: tb.config.SAGA_STEP_TIMEOUT_MS, giveUpAfterMs: tb.config.SAGA_GIVE_UP_MS })

/** A valid order body; override what a test is about. */
export function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId: 'c-42',
    email: 'ada@example.com',
    currency: 'EUR',
    items: [
      { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
      { sku: 'SKU-2', quantity: 1, unitPrice: 999 },
    ],
    payment: { method: 'card', token: 'tok_visa' },
    ...overrides,
  }
}

/** `orderflow.inventory.reserve.v1` → `inventory.reserve`. */
export const short = (type: string): string => type.replace(/^orderflow\./, '').replace(/\.v1$/, '')

/** A participant's event about an order, as that participant would make it. */
export function reply<S extends TSchema>(def: MessageDefinition<S>, orderId: string, data: Static<S>): CloudEvent<Static<S>> {
  return makeEvent(def, { source: 'orderflow/test', subject: orderId, data })
}

const settled = (orderId: string) => ({ orderId, paymentId: randomUUID(), amount: 3499, currency: 'EUR' })
const shipment = (orderId: string) => ({ orderId, shipmentId: randomUUID(), carrier: 'DHL' })
const lines = [
  { sku: 'SKU-1', quantity: 2 },
  { sku: 'SKU-2', quantity: 1 },
]

/** The participants' replies, one builder each (data as the participants send it). */
export const replies = {
  reserved: (id: string) => reply(StockReserved, id, { orderId: id, items: lines }),
  rejected: (id: string) => reply(StockRejected, id, { orderId: id, reason: 'OUT_OF_STOCK', unavailable: [{ sku: 'SKU-1', requested: 2, available: 1 }] }),
  released: (id: string) => reply(StockReleased, id, { orderId: id }),
  committed: (id: string) => reply(StockCommitted, id, { orderId: id }),
  authorized: (id: string) => reply(PaymentAuthorized, id, settled(id)),
  declined: (id: string, message = 'Insufficient funds.', reason: DataOf<typeof PaymentDeclined>['reason'] = 'INSUFFICIENT_FUNDS') =>
    reply(PaymentDeclined, id, { orderId: id, reason, message }),
  captured: (id: string) => reply(PaymentCaptured, id, settled(id)),
  voided: (id: string) => reply(PaymentVoided, id, { orderId: id }),
  refunded: (id: string) => reply(PaymentRefunded, id, settled(id)),
  picking: (id: string) => reply(ShipmentPicking, id, shipment(id)),
  shipped: (id: string) => reply(ShipmentShipped, id, shipment(id)),
  delivered: (id: string) => reply(ShipmentDelivered, id, shipment(id)),
  shipmentCancelled: (id: string) => reply(ShipmentCancelled, id, { orderId: id }),
  cancelRefused: (id: string) => reply(ShipmentCancelRefused, id, { orderId: id, status: 'SHIPPED' }),
}

/** A saga as its row holds it. */
export interface SagaRowView {
  state: string
  version: number
  deadlineAt: Date | null
  paymentToken: string | null
  progress: Record<string, string>
}

/** An order as the API shows it. */
export interface OrderViewJson {
  id: string
  status: string
  failure?: { reason: string; message: string }
  timeline: { type: string; at: string; detail?: string }[]
}

/** A message an order's saga put in the outbox, oldest first. */
export interface OutboxMessageView {
  type: string
  subject: string
  data: Record<string, unknown>
  sentAt: Date | null
}

type SagaConsumer = Consumer<CloudEvent, BatchTx>

/** The order service's saga as a test drives it: the API, the three reply consumers, and reads. */
export interface SagaHarness {
  readonly tb: OrderTestbed
  readonly consumers: { readonly inventory: SagaConsumer; readonly payments: SagaConsumer; readonly fulfillment: SagaConsumer }
  /** Places an order through the API (202 or it throws); returns its id. */
  place(overrides?: Record<string, unknown>): Promise<string>
  /** POST /v1/orders/:id/cancel. */
  cancel(id: string, reason?: string): Promise<{ statusCode: number; body: Record<string, unknown> }>
  /** Handles `events` as one batch of `consumer`, as the runner would. */
  handle(consumer: SagaConsumer, events: readonly CloudEvent[]): Promise<void>
  /** Handles each event alone, with the consumer of its stream (inventory, payment, fulfillment). */
  deliver(...events: CloudEvent[]): Promise<void>
  saga(id: string): Promise<SagaRowView | undefined>
  order(id: string): Promise<OrderViewJson>
  timeline(id: string): Promise<string[]>
  outbox(id: string): Promise<OutboxMessageView[]>
  /** Short types of the order's outbox messages, oldest first. */
  sent(id: string): Promise<string[]>
}

/** The saga's consumers as service.ts binds them (timings from the testbed's config). */
export function sagaHarness(tb: OrderTestbed): SagaHarness {
  const deps = {
    timings: timingsOf(tb),
    metrics: sagaMetrics(tb.ctx.registry, () => countInFlight(tb.ctx.db)),
    logger: tb.ctx.logger,
  }
  const consumers = {
    inventory: sagaReplies(inventoryReplies, deps),
    payments: sagaReplies(paymentReplies, deps),
    fulfillment: sagaReplies(fulfillmentReplies, deps),
  }
  const rw = tb.auth(['orders:read', 'orders:write'])
  const em = () => tb.orm.em.fork()
  const consumerOf = (event: CloudEvent): SagaConsumer => {
    if (event.type.startsWith('orderflow.inventory.')) return consumers.inventory
    if (event.type.startsWith('orderflow.payment.')) return consumers.payments
    return consumers.fulfillment
  }
  const h: SagaHarness = {
    tb,
    consumers,
    async place(overrides = {}) {
      const res = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: rw, payload: orderBody(overrides) })
      if (res.statusCode !== 202) throw new Error(`placing failed: ${res.statusCode} ${res.body}`)
      return res.json<{ id: string }>().id
    },
    async cancel(id, reason) {
      const res = await tb.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: rw, payload: reason ? { reason } : {} })
      return { statusCode: res.statusCode, body: res.json() }
    },
    handle: (consumer, events) => handleBatch(tb.ctx, consumer, events),
    async deliver(...events) {
      for (const event of events) await handleBatch(tb.ctx, consumerOf(event), [event])
    },
    async saga(id) {
      // Timestamps come back from the ORM's connection as text.
      const [row] = await em().execute<{ state: string; version: number; deadline_at: string | null; payment_token: string | null; progress: Record<string, string> }[]>(
        'select state, version, deadline_at, payment_token, progress from sagas where order_id = ?',
        [id],
      )
      return row && { state: row.state, version: row.version, deadlineAt: row.deadline_at === null ? null : new Date(row.deadline_at), paymentToken: row.payment_token, progress: row.progress }
    },
    async order(id) {
      const res = await tb.app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: rw })
      if (res.statusCode !== 200) throw new Error(`reading ${id} failed: ${res.statusCode} ${res.body}`)
      return res.json<OrderViewJson>()
    },
    async timeline(id) {
      return (await h.order(id)).timeline.map((e) => e.type)
    },
    async outbox(id) {
      const rows = await em().execute<{ type: string; subject: string; payload: { data: Record<string, unknown> }; sent_at: string | null }[]>(
        `select type, subject, payload, sent_at from outbox where payload->>'subject' = ? order by seq`,
        [id],
      )
      return rows.map((r) => ({ type: short(r.type), subject: r.subject, data: r.payload.data, sentAt: r.sent_at === null ? null : new Date(r.sent_at) }))
    },
    async sent(id) {
      return (await h.outbox(id)).map((m) => m.type)
    },
  }
  return h
}
