import fc from 'fast-check'
import type { RouteFuzz, Seeds } from './seeds.js'
import { authorization } from './tokens.js'
import { contentType, integerText, jsonBody, queryString, segment, text, uuidText, type Json } from './values.js'

const count = fc.oneof(fc.integer({ min: -1_000_000_001, max: 1_000_000_001 }), fc.integer({ min: -5, max: 5 }))
const reason = fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), text)

/** `set` or `adjust`, with a reason: what PUT /v1/inventory/:sku accepts. */
const stockChange: fc.Arbitrary<Json> = fc.oneof(fc.record({ set: count, reason }), fc.record({ adjust: count, reason }))

/** What PUT /v1/inventory/:sku/prices accepts, near its limits: codes real and not, prices at the edges, repeats. */
const priceList: fc.Arbitrary<Json> = fc.record({
  prices: fc.array(
    fc.record({
      currency: fc.oneof(fc.constantFrom('EUR', 'USD', 'JPY', 'ZZZ', 'eur', 'XAU'), fc.string({ maxLength: 4 })),
      unitPrice: fc.oneof(fc.integer({ min: -1, max: 100_000 }), fc.constantFrom(0, 100_000_000_000, 100_000_000_001, 1.5)),
    }),
    { maxLength: 52 },
  ),
})

/** Stock cursors: real ones, and forged lists whose one SKU is any text. */
const stockCursor = (seeds: Seeds) =>
  fc.oneof(
    fc.constantFrom(...seeds.stockCursors),
    fc.oneof(fc.tuple(text), fc.array(text, { maxLength: 2 })).map((list) => Buffer.from(JSON.stringify(list)).toString('base64url')),
    text,
  )

/** The routes of inventory, payment, fulfillment and notification. */
export function serviceRoutes(seeds: Seeds): RouteFuzz[] {
  const sku = segment(fc.oneof(fc.constantFrom(...seeds.skus, 'reservations'), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)))
  const orderId = uuidText(seeds.orderIds)
  return [
    {
      name: 'PUT /v1/inventory/:sku',
      runs: 1000,
      request: fc
        .record({ auth: authorization(['inventory:write']), sku, type: contentType, payload: jsonBody(stockChange) })
        .map(({ auth, sku, type, payload }) => ({
          service: 'inventory' as const,
          method: 'PUT' as const,
          url: `/v1/inventory/${sku}`,
          headers: type === undefined ? auth : { ...auth, 'content-type': type },
          payload,
        })),
    },
    {
      name: 'PUT and GET /v1/inventory/:sku/prices',
      runs: 600,
      request: fc
        .record({ write: fc.boolean(), auth: authorization(['inventory:write']), sku, type: contentType, payload: jsonBody(priceList) })
        .map(({ write, auth, sku, type, payload }) =>
          write
            ? { service: 'inventory' as const, method: 'PUT' as const, url: `/v1/inventory/${sku}/prices`, headers: type === undefined ? auth : { ...auth, 'content-type': type }, payload }
            : { service: 'inventory' as const, method: 'GET' as const, url: `/v1/inventory/${sku}/prices`, headers: auth },
        ),
    },
    {
      name: 'GET /v1/inventory, /v1/inventory/:sku, /v1/inventory/reservations',
      runs: 900,
      request: fc
        .record({
          auth: authorization(['inventory:read']),
          sku,
          list: queryString({ limit: integerText, cursor: stockCursor(seeds) }),
          reservation: queryString({ orderId }),
          which: fc.constantFrom('list', 'one', 'reservation'),
        })
        .map(({ auth, sku, list, reservation, which }) => ({
          service: 'inventory' as const,
          method: 'GET' as const,
          url: which === 'list' ? `/v1/inventory${list}` : which === 'one' ? `/v1/inventory/${sku}` : `/v1/inventory/reservations${reservation}`,
          headers: auth,
        })),
    },
    {
      name: 'GET /v1/payments',
      runs: 300,
      request: fc
        .record({ auth: authorization(['payments:read']), query: queryString({ orderId }) })
        .map(({ auth, query }) => ({ service: 'payment' as const, method: 'GET' as const, url: `/v1/payments${query}`, headers: auth })),
    },
    {
      name: 'GET /v1/shipments/:orderId',
      runs: 300,
      request: fc
        .record({ auth: authorization(['orders:read']), id: segment(orderId) })
        .map(({ auth, id }) => ({ service: 'fulfillment' as const, method: 'GET' as const, url: `/v1/shipments/${id}`, headers: auth })),
    },
    {
      name: 'GET /v1/notifications',
      runs: 300,
      request: fc
        .record({ auth: authorization(['orders:read']), query: queryString({ orderId }) })
        .map(({ auth, query }) => ({ service: 'notification' as const, method: 'GET' as const, url: `/v1/notifications${query}`, headers: auth })),
    },
  ]
}
