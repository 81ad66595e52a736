import { mintToken } from '@orderflow/testing'
import type { FuzzRequest } from './oracle.js'
import type { Seeds } from './seeds.js'

/** A request that once failed with a 500 (or was wrongly accepted), and the answer it must get now. */
export interface Regression {
  readonly name: string
  readonly request: FuzzRequest
  readonly status: number
  readonly code?: string
}

const bearer = (roles: readonly string[], sub = 'fuzz-regression') => ({ authorization: `Bearer ${mintToken({ sub, roles })}` })
const json = { 'content-type': 'application/json' }

/** The 500s found by hand before the fuzz existed, and the ones it found since. */
export function regressions(seeds: Seeds): Regression[] {
  const [sku = 'SKU', otherSku = 'SKU'] = seeds.skus
  const [orderId = ''] = seeds.orderIds
  const writer = { ...bearer(['orders:write']), ...json }
  const reader = bearer(['orders:read'])
  const stockReader = bearer(['inventory:read'])
  const ops = bearer(['ops:dlq'])
  const clerk = { ...bearer(['inventory:write']), ...json }
  const order = (o: Record<string, unknown> = {}) =>
    JSON.stringify({ customerId: 'c-1', email: 'ada@example.com', currency: 'EUR', items: [{ sku, quantity: 1 }], payment: { method: 'card', token: 'tok_visa' }, ...o })
  const place = (name: string, body: string, status: number, code?: string): Regression => ({
    name,
    request: { service: 'order', method: 'POST', url: '/v1/orders', headers: writer, payload: body },
    status,
    ...(code === undefined ? {} : { code }),
  })
  const get = (name: string, service: FuzzRequest['service'], url: string, headers: Record<string, string>, status: number, code?: string): Regression => ({
    name,
    request: { service, method: 'GET', url, headers },
    status,
    ...(code === undefined ? {} : { code }),
  })
  const forged = (wire: unknown) => Buffer.from(JSON.stringify(wire)).toString('base64url')
  const cursorWire = { v: 2, at: '2026-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000', l: 2 }

  return [
    // The HTTP limit (Number.MAX_SAFE_INTEGER) and the event contract (10^11) disagreed: now one
    // limit. Totals come from the price list now: the expensive SKU costs 10^11.
    place('a total of 10^12, between the old HTTP limit and the contract', order({ items: [{ sku: seeds.expensiveSku, quantity: 10 }] }), 400, 'ORDER_TOTAL_TOO_LARGE'),
    place('a total of 10^14', order({ items: [{ sku: seeds.expensiveSku, quantity: 1000 }] }), 400, 'ORDER_TOTAL_TOO_LARGE'),
    place('a total of exactly 10^11 is accepted', order({ items: [{ sku: seeds.expensiveSku, quantity: 1 }] }), 202),
    // Prices the client sends are checked, never taken.
    place('a unit price of 0 for a priced SKU', order({ items: [{ sku, quantity: 1, unitPrice: 0 }] }), 409, 'PRICE_MISMATCH'),
    place('no payment details', order({ payment: undefined }), 400, 'VALIDATION_FAILED'),
    // NUL (and unpaired surrogates) reached PostgreSQL.
    place('NUL in customerId', order({ customerId: 'c\u0000' }), 400, 'VALIDATION_FAILED'),
    place('NUL in the payment token', order({ payment: { method: 'card', token: 'tok\u0000' } }), 400, 'VALIDATION_FAILED'),
    place('an unpaired surrogate in the shipping address', order({ shippingAddress: { name: '\ud800', line1: 'x', city: 'c', postalCode: '1', country: 'DE' } }), 400, 'VALIDATION_FAILED'),
    {
      name: 'NUL in a cancel reason',
      request: { service: 'order', method: 'POST', url: `/v1/orders/${orderId}/cancel`, headers: writer, payload: JSON.stringify({ reason: 'r\u0000' }) },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'NUL in an inventory reason',
      request: { service: 'inventory', method: 'PUT', url: `/v1/inventory/${sku}`, headers: clerk, payload: JSON.stringify({ set: 5, reason: 'r\u0000' }) },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    get('NUL in a customerId filter', 'order', '/v1/orders?customerId=%00', reader, 400, 'VALIDATION_FAILED'),
    // Dates the format lets through and PostgreSQL does not.
    get('createdFrom in year 0000', 'order', '/v1/orders?createdFrom=0000-01-01T00:00:00Z', reader, 400, 'VALIDATION_FAILED'),
    get('createdFrom in year 0001 at +14:00 (year 0000 in UTC)', 'order', '/v1/orders?createdFrom=0001-01-01T00:00:00%2B14:00', reader, 400, 'VALIDATION_FAILED'),
    get('createdTo past year 9999 once in UTC', 'order', '/v1/orders?createdTo=9999-12-31T23:59:59-14:00', reader, 400, 'VALIDATION_FAILED'),
    get('a leap second', 'order', '/v1/orders?createdTo=2016-12-31T23:59:60Z', reader, 400, 'VALIDATION_FAILED'),
    get('the first instant of year 0001 is fine', 'order', '/v1/orders?createdFrom=0001-01-01T00:00:00Z&createdTo=9999-12-31T23:59:59.999Z', reader, 200),
    get('a forged cursor in year 0000', 'order', `/v1/orders?cursor=${forged({ ...cursorWire, at: '0000-01-01T00:00:00Z' })}`, reader, 400, 'INVALID_CURSOR'),
    get('a forged cursor with NUL in its customerId', 'order', `/v1/orders?cursor=${forged({ ...cursorWire, c: 'c\u0000' })}`, reader, 400, 'INVALID_CURSOR'),
    get('a forged stock cursor with NUL', 'inventory', `/v1/inventory?cursor=${forged(['A\u0000'])}`, stockReader, 400, 'INVALID_CURSOR'),
    // Sequences past the exact integers reached NATS.
    get('a dead letter 99999999999999999999', 'order', '/v1/dead-letters/99999999999999999999', ops, 400, 'VALIDATION_FAILED'),
    get('dead letters after 99999999999999999999', 'order', '/v1/dead-letters?after=99999999999999999999', ops, 400, 'VALIDATION_FAILED'),
    get('a dead letter 2^53 - 1 is simply not there', 'order', '/v1/dead-letters/9007199254740991', ops, 404, 'DEAD_LETTER_NOT_FOUND'),
    // Found by the fuzz: Ajv coerces "Infinity" to a number and then skips the integer's limits.
    get('a dead letter Infinity', 'order', '/v1/dead-letters/Infinity', ops, 400, 'VALIDATION_FAILED'),
    get('an order list of Infinity', 'order', '/v1/orders?limit=Infinity', reader, 400, 'VALIDATION_FAILED'),
    get('a stock list of 1e400', 'inventory', '/v1/inventory?limit=1e400', stockReader, 400, 'VALIDATION_FAILED'),
    // Found by the fuzz: ajv-formats' uuid takes a urn:uuid: prefix, PostgreSQL does not.
    get('an order id with a urn:uuid: prefix', 'order', `/v1/orders/urn%3Auuid%3A${orderId}`, reader, 400, 'VALIDATION_FAILED'),
    // Found by the fuzz: adjustments each within 10^9 added up past the int column.
    {
      name: 'raising stock on hand past 10^9',
      request: { service: 'inventory', method: 'PUT', url: `/v1/inventory/${otherSku}`, headers: clerk, payload: JSON.stringify({ adjust: 1_000_000_000, reason: 'delivery' }) },
      status: 409,
      code: 'STOCK_ABOVE_LIMIT',
    },
    // Token subjects the services could not store.
    get('a token whose sub has 201 characters', 'order', '/v1/orders', bearer(['orders:read'], 's'.repeat(201)), 401, 'UNAUTHORIZED'),
    {
      name: 'a token whose sub has NUL',
      request: { service: 'order', method: 'POST', url: '/v1/orders', headers: { ...bearer(['orders:write'], 'a\u0000b'), ...json }, payload: order() },
      status: 401,
      code: 'UNAUTHORIZED',
    },
    // Silently coerced before: type errors now.
    place('"quantity": "2"', order({ items: [{ sku, quantity: '2', unitPrice: 100 }] }), 400, 'VALIDATION_FAILED'),
    place('"customerId": 42', order({ customerId: 42 }), 400, 'VALIDATION_FAILED'),
    {
      name: '"set": "5"',
      request: { service: 'inventory', method: 'PUT', url: `/v1/inventory/${sku}`, headers: clerk, payload: JSON.stringify({ set: '5', reason: 'count' }) },
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    place('currency ZZZ', order({ currency: 'ZZZ' }), 400, 'VALIDATION_FAILED'),
  ]
}
