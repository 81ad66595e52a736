import fc from 'fast-check'
import type { Method } from './oracle.js'
import type { RouteFuzz, Seeds } from './seeds.js'
import { authorization } from './tokens.js'
import { anyJson, contentType, headerText, integerText, jsonBody, mostly, queryString, sometimes, segment, text, uuidText, type Json } from './values.js'

const sku = (seeds: Seeds) => fc.oneof(fc.constantFrom(...seeds.skus, seeds.expensiveSku), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/))

/** Prices near the limits: the once-500 band of totals between 10^11 and 9·10^15 among them. */
const unitPrice = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 99_999_999_999, 100_000_000_000, 10_000_000_000, 1_000_000_000) },
)

const address: fc.Arbitrary<Json> = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 200 }),
    line1: fc.string({ minLength: 1, maxLength: 200 }),
    line2: fc.string({ maxLength: 200 }),
    city: fc.string({ minLength: 1, maxLength: 100 }),
    postalCode: fc.string({ minLength: 1, maxLength: 20 }),
    country: fc.constantFrom('DE', 'GB', 'FR', 'US'),
  },
  { requiredKeys: ['name', 'line1', 'city', 'postalCode', 'country'] },
)

/** A body POST /v1/orders accepts (or refuses only for its total or its prices). */
function validOrder(seeds: Seeds): fc.Arbitrary<Json> {
  return fc.record(
    {
      customerId: fc.string({ minLength: 1, maxLength: 100 }),
      email: fc.constantFrom('ada@example.com', 'b.c+tag@example.org', 'x@y.io'),
      currency: fc.constantFrom('EUR', 'USD', 'GBP', 'JPY', 'CHF'),
      // unitPrice is optional (the price list decides; one sent must match it).
      items: fc.array(fc.record({ sku: sku(seeds), quantity: fc.integer({ min: 1, max: 1000 }), unitPrice }, { requiredKeys: ['sku', 'quantity'] }), { minLength: 1, maxLength: 5 }),
      shippingAddress: address,
      payment: fc.record({ method: fc.constant('card'), token: fc.constantFrom('tok_visa', 'tok_decline', 'tok_timeout', 'tok_unavailable') }),
    },
    { requiredKeys: ['customerId', 'email', 'currency', 'items', 'payment'] },
  )
}

/** Idempotency keys from a small pool, so that replays, reuse with another body and odd keys all come up. */
const idempotencyKey = sometimes(fc.oneof(fc.constantFrom('k-1', 'k-2', 'k-3'), headerText), 2)

const withBody = (headers: Record<string, string>, type: string | undefined): Record<string, string> => (type === undefined ? headers : { ...headers, 'content-type': type })

/** date-time values: valid ones across the years, and the ones the format lets through but a database may not. */
const dateTime: fc.Arbitrary<string> = fc.oneof(
  fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z', '0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00', '2016-12-31T23:59:60Z', '2026-02-30T00:00:00Z', '2026-01-01t00:00:00z',
    '2026-01-01 00:00:00Z', '2026-01-01T00:00:00', '2026-01-01', '+010000-01-01T00:00:00Z', '2026-01-01T24:00:00Z', '1970-01-01T00:00:00Z',
  ),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }),
      fc.constantFrom('Z', 'z', '+14:00', '-14:00', '+00:00', '+23:59', '-23:59', '.999999Z'),
    )
    .map(([y, mo, d, h, mi, zone]) => `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:59${zone}`),
)

const validDateTime = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString())

/** Cursors: real ones, and forged ones whose fields are each valid or nasty. */
function orderCursor(seeds: Seeds): fc.Arbitrary<string> {
  const forged = fc
    .record(
      {
        v: fc.oneof(fc.constant(2), anyJson),
        at: fc.oneof(dateTime, anyJson),
        id: fc.oneof(fc.uuid(), anyJson),
        l: fc.oneof(fc.integer({ min: 1, max: 100 }), anyJson),
        s: fc.oneof(fc.constantFrom('PENDING', 'FAILED'), anyJson),
        c: fc.oneof(text, anyJson),
        f: fc.oneof(dateTime, anyJson),
        t: fc.oneof(dateTime, anyJson),
      },
      { requiredKeys: [] },
    )
    .map((w) => Buffer.from(JSON.stringify(w)).toString('base64url'))
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...seeds.orderCursors) }, { weight: 2, arbitrary: forged }, { weight: 1, arbitrary: text })
}

/** The order service's own routes. */
export function orderRoutes(seeds: Seeds): RouteFuzz[] {
  const orderId = uuidText(seeds.orderIds)
  return [
    {
      name: 'POST /v1/orders',
      runs: 3000,
      request: fc
        .record({ auth: authorization(['orders:write']), type: contentType, payload: jsonBody(validOrder(seeds)), key: idempotencyKey })
        .map(({ auth, type, payload, key }) => ({
          service: 'order' as const,
          method: 'POST' as const,
          url: '/v1/orders',
          headers: withBody({ ...auth, ...(key === undefined ? {} : { 'idempotency-key': key }) }, type),
          payload,
        })),
    },
    {
      name: 'GET /v1/orders',
      runs: 1800,
      request: fc
        .record({
          auth: authorization(['orders:read']),
          query: queryString({
            status: mostly(fc.constantFrom('PENDING', 'CONFIRMED', 'FAILED', 'CANCELLED', 'DELIVERED'), fc.oneof(fc.constant('pending'), text)),
            customerId: mostly(fc.constantFrom('c-1', 'c-e2e', 'fuzz-a'), text),
            createdFrom: mostly(validDateTime, dateTime),
            createdTo: mostly(validDateTime, dateTime),
            limit: integerText,
            cursor: orderCursor(seeds),
          }),
        })
        .map(({ auth, query }) => ({ service: 'order' as const, method: 'GET' as const, url: `/v1/orders${query}`, headers: auth })),
    },
    {
      name: 'GET /v1/orders/:id and /v1/orders/:id/saga',
      runs: 500,
      request: fc
        .record({ auth: authorization(['orders:read', 'ops:dlq']), id: segment(orderId), saga: fc.boolean() })
        .map(({ auth, id, saga }) => ({ service: 'order' as const, method: 'GET' as const, url: `/v1/orders/${id}${saga ? '/saga' : ''}`, headers: auth })),
    },
    {
      name: 'POST /v1/orders/:id/cancel',
      runs: 700,
      request: fc
        .record({
          auth: authorization(['orders:write']),
          id: segment(orderId),
          type: contentType,
          payload: jsonBody(fc.record({ reason: fc.oneof(fc.string({ maxLength: 500 }), text) }, { requiredKeys: [] })),
        })
        .map(({ auth, id, type, payload }) => ({
          service: 'order' as const,
          method: 'POST' as const,
          url: `/v1/orders/${id}/cancel`,
          headers: payload === undefined ? auth : withBody(auth, type),
          payload,
        })),
    },
    {
      name: '/v1/dead-letters (list, show, replay, delete, purge)',
      runs: 800,
      request: fc
        .record({
          auth: authorization(['ops:dlq']),
          seq: segment(fc.oneof(fc.constantFrom(...seeds.deadLetterSeqs.map(String)), integerText)),
          list: queryString({ limit: integerText, after: integerText }),
          purge: queryString({ all: fc.oneof(fc.constantFrom('true', 'false', '1', 'TRUE', '', 'yes'), text) }),
          which: fc.constantFrom<[Method, string][]>(['GET', 'list'], ['GET', 'one'], ['POST', 'replay'], ['DELETE', 'one'], ['DELETE', 'purge']),
          payload: sometimes(anyJson.map((v) => JSON.stringify(v)), 4),
        })
        .map(({ auth, seq, list, purge, which: [method, what], payload }) => ({
          service: 'order' as const,
          method,
          url: what === 'list' ? `/v1/dead-letters${list}` : what === 'purge' ? `/v1/dead-letters${purge}` : `/v1/dead-letters/${seq}${what === 'replay' ? '/replay' : ''}`,
          headers: payload === undefined ? auth : { ...auth, 'content-type': 'application/json' },
          payload,
        })),
    },
  ]
}
