import { randomUUID } from 'node:crypto'
import { eventually } from '@orderflow/testing/service'
import type { Platform } from './platform.js'

/** What a customer and a warehouse clerk do, through the public APIs. */

const ALL_ROLES = ['orders:read', 'orders:write', 'inventory:read', 'inventory:write', 'payments:read', 'shipments:read', 'notifications:read', 'ops:dlq']

export const auth = (p: Platform) => p.tb.order.auth(ALL_ROLES)

/** A SKU no other test uses. */
export const uniqueSku = (label: string) => `E2E-${label}-${randomUUID().slice(0, 8)}`.toUpperCase()

/** What every SKU a test stocks costs, unless it prices it otherwise. */
export const UNIT_PRICE = 1250

/**
 * Sets a SKU's units on hand and prices it at {@link UNIT_PRICE} EUR (see {@link price}); returns
 * the count, for the consistency check's `stockBefore`.
 */
export async function stock(p: Platform, sku: string, units: number): Promise<number> {
  const res = await p.tb.inventory.app.inject({
    method: 'PUT',
    url: `/v1/inventory/${sku}`,
    headers: auth(p),
    payload: { set: units, reason: 'end-to-end test stock' },
  })
  if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`stocking ${sku}: ${res.statusCode} ${res.body}`)
  await price(p, sku, [{ currency: 'EUR', unitPrice: UNIT_PRICE }])
  return units
}

/**
 * Sets a SKU's price list through the inventory API and waits until the order service has it
 * (the list reaches it by the inventory's SkuPriced event), so the next order is priced from it.
 */
export async function price(p: Platform, sku: string, prices: readonly { currency: string; unitPrice: number }[]): Promise<void> {
  const res = await p.tb.inventory.app.inject({ method: 'PUT', url: `/v1/inventory/${sku}/prices`, headers: auth(p), payload: { prices } })
  if (res.statusCode !== 200) throw new Error(`pricing ${sku}: ${res.statusCode} ${res.body}`)
  const { version } = res.json<{ version: number }>()
  await eventually(
    async () => {
      const [row] = await p.tb.order.orm.em.fork().execute<{ version: number }[]>('select version from price_lists where sku = ?', [sku])
      return row && row.version >= version ? true : undefined
    },
    `the order service has ${sku}'s price list ${version}`,
    10_000,
  )
}

export interface OrderRequest {
  sku: string
  quantity?: number
  /** Sent only when given: the order service prices lines from the SKU's price list. */
  unitPrice?: number
  /** @default EUR */
  currency?: string
  token?: string
  email?: string
  /** Extra request headers, e.g. `traceparent`. */
  headers?: Record<string, string>
}

/** Places an order and returns its id. */
export async function placeOrder(p: Platform, o: OrderRequest): Promise<string> {
  const res = await p.tb.order.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...auth(p), 'idempotency-key': randomUUID(), ...o.headers },
    payload: {
      customerId: 'c-e2e',
      email: o.email ?? 'ada@example.com',
      currency: o.currency ?? 'EUR',
      items: [{ sku: o.sku, quantity: o.quantity ?? 1, ...(o.unitPrice === undefined ? {} : { unitPrice: o.unitPrice }) }],
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
      payment: { method: 'card', token: o.token ?? 'tok_visa' },
    },
  })
  if (res.statusCode !== 202) throw new Error(`placing an order: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}

export interface OrderView {
  id: string
  status: string
  failure?: { reason: string; message: string }
  timeline: { type: string; at: string; detail?: string }[]
}

export async function getOrder(p: Platform, id: string): Promise<OrderView> {
  const res = await p.tb.order.app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: auth(p) })
  if (res.statusCode !== 200) throw new Error(`reading order ${id}: ${res.statusCode} ${res.body}`)
  return res.json<OrderView>()
}

/** Waits until the order's status is one of `statuses`, and returns it. */
export function waitForStatus(p: Platform, id: string, statuses: readonly string[], timeoutMs = 20_000): Promise<OrderView> {
  return eventually(
    async () => {
      const order = await getOrder(p, id)
      return statuses.includes(order.status) ? order : undefined
    },
    `order ${id} to be ${statuses.join(' or ')}`,
    timeoutMs,
  )
}

export const ENDED = ['DELIVERED', 'FAILED', 'CANCELLED'] as const

/**
 * Waits until none of the orders is PENDING, CONFIRMED or SHIPPED any more (or `settled` says so)
 * and the platform is quiet (see `stillBusy`), so what the books say next is final.
 */
export async function waitUntilSettled(p: Platform, ids: readonly string[], timeoutMs: number, settled: readonly string[] = ENDED): Promise<void> {
  const wanted = new Set(ids)
  let open = ids.length
  let busy = ''
  await eventually(
    async () => {
      const rows = await p.tb.order.orm.em.fork().execute<{ id: string; status: string }[]>('select id, status from orders')
      open = rows.filter((r) => wanted.has(r.id) && !settled.includes(r.status)).length + (ids.length - rows.filter((r) => wanted.has(r.id)).length)
      if (open > 0) return undefined
      busy = await stillBusy(p)
      return busy === '' ? true : undefined
    },
    `${ids.length} orders to settle`,
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${open} of ${ids.length} orders still open${busy ? `, ${busy}` : ''}: ${String(error)}`)
  })
}

const OUTBOX_SERVICES = ['order', 'inventory', 'payment', 'fulfillment'] as const

/**
 * What the platform is still doing, or '' once it is quiet: every consumer has settled its
 * messages and every outbox is sent. An order can end before its saga has: a DELIVERED order's
 * stock commit may still be queued, so a check of the books waits for this too.
 */
async function stillBusy(p: Platform): Promise<string> {
  const { jsm } = p.tb.order.bus
  for (const stream of p.topology.streams()) {
    for await (const c of jsm.consumers.list(stream.name)) {
      if (c.num_pending + c.num_ack_pending > 0) return `consumer ${c.name} has ${c.num_pending + c.num_ack_pending} messages to settle`
    }
  }
  for (const service of OUTBOX_SERVICES) {
    const [row] = await p.tb[service].orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from outbox where sent_at is null')
    if (row && row.n > 0) return `${service} has ${row.n} events to publish`
  }
  return ''
}

export async function cancelOrder(p: Platform, id: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const res = await p.tb.order.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(p), payload: { reason: 'changed my mind' } })
  return { statusCode: res.statusCode, body: res.json<Record<string, unknown>>() }
}
