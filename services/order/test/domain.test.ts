import { randomUUID } from 'node:crypto'
import t from 'tap'
import { canMove, canRequestCancel, isTerminal, ORDER_STATUSES } from '../src/domain/order-status.js'
import { orderTotal } from '../src/domain/order-total.js'
import { canonicalJson, requestHash } from '../src/idempotency/request-hash.js'
import { decodeCursor, encodeCursor, sameFilters } from '../src/repositories/order-cursor.js'

t.test('status moves only forward and never out of a terminal state', async (t) => {
  t.ok(canMove('PENDING', 'CONFIRMED'))
  t.ok(canMove('CONFIRMED', 'SHIPPED'))
  t.ok(canMove('PENDING', 'FAILED'))
  t.ok(canMove('SHIPPED', 'DELIVERED'))
  t.notOk(canMove('SHIPPED', 'CONFIRMED'), 'no going back')
  t.notOk(canMove('CONFIRMED', 'CONFIRMED'), 'no move to the same status')
  for (const terminal of ['DELIVERED', 'FAILED', 'CANCELLED'] as const) {
    t.ok(isTerminal(terminal))
    for (const next of ORDER_STATUSES) t.notOk(canMove(terminal, next), `${terminal} → ${next}`)
  }
})

t.test('cancel can be asked until the goods have left', async (t) => {
  t.same(ORDER_STATUSES.filter(canRequestCancel), ['PENDING', 'CONFIRMED'])
})

t.test('orderTotal sums in minor units and refuses to overflow', async (t) => {
  t.equal(orderTotal([{ quantity: 3, unitPrice: 199 }, { quantity: 1, unitPrice: 1 }]), 598)
  t.equal(orderTotal([]), 0)
  t.equal(orderTotal([{ quantity: 1000, unitPrice: Number.MAX_SAFE_INTEGER }]), undefined)
})

t.test('orderTotal stops where the events stop: 10^11 minor units', async (t) => {
  t.equal(orderTotal([{ quantity: 1, unitPrice: 100_000_000_000 }]), 100_000_000_000)
  t.equal(orderTotal([{ quantity: 1, unitPrice: 100_000_000_000 }, { quantity: 1, unitPrice: 1 }]), undefined)
  t.equal(orderTotal([{ quantity: 10, unitPrice: 100_000_000_000 }]), undefined, 'once a HTTP 500: the total passed the API and failed order.created')
})

t.test('cursors round-trip with their filters and page size, and anything else is refused', async (t) => {
  const c = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: randomUUID(), filters: {}, limit: 20 }
  t.same(decodeCursor(encodeCursor(c)), c)
  const filtered = {
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    id: randomUUID(),
    filters: { status: 'PENDING' as const, customerId: 'c-42', createdFrom: new Date('2026-01-01T00:00:00Z'), createdTo: new Date('2026-01-03T00:00:00Z') },
    limit: 2,
  }
  t.same(decodeCursor(encodeCursor(filtered)), filtered)
  t.ok(sameFilters(filtered.filters, { ...filtered.filters, createdFrom: new Date('2026-01-01T00:00:00.000+00:00') }))
  t.notOk(sameFilters(filtered.filters, { ...filtered.filters, customerId: 'c-43' }))
  t.notOk(sameFilters(filtered.filters, {}))
  const wire = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const ok = { v: 2, at: '2026-01-01T00:00:00Z', id: randomUUID(), l: 2 }
  for (const bad of [
    '', 'garbage', wire([1, 2]), wire(['2026-01-01T00:00:00Z', randomUUID()]), wire({ ...ok, at: 'not a date' }), wire({ ...ok, id: 'z'.repeat(36) }),
    wire({ ...ok, l: 0 }), wire({ ...ok, l: 101 }), wire({ ...ok, s: 'LOST' }), wire({ ...ok, c: '' }), wire({ ...ok, f: 'yesterday' }), wire({ ...ok, v: 1 }),
    // Forged cursors the database could not take (once HTTP 500s): year 0000, NUL, an unpaired surrogate.
    wire({ ...ok, at: '0000-01-01T00:00:00Z' }), wire({ ...ok, f: '0000-06-01T00:00:00Z' }), wire({ ...ok, t: '+010000-01-01T00:00:00Z' }),
    wire({ ...ok, c: 'c\u0000' }), wire({ ...ok, c: 'c\ud800' }),
  ]) {
    t.equal(decodeCursor(bad), undefined, JSON.stringify(bad))
  }
})

t.test('request hashes ignore key order but not values', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}')
  t.equal(requestHash('op', { a: 1, b: 2 }), requestHash('op', { b: 2, a: 1 }))
  t.not(requestHash('op', { a: 1 }), requestHash('op', { a: 2 }))
  t.not(requestHash('op1', { a: 1 }), requestHash('op2', { a: 1 }))
})

t.test('priceLines: unpriced SKUs first, then currencies not sold, then unit prices that differ; each SKU named once', async (t) => {
  const { priceLines } = await import('../src/domain/pricing.js')
  const lists = new Map([
    ['A', [{ currency: 'EUR', unitPrice: 100 }]],
    ['B', [{ currency: 'USD', unitPrice: 7 }]],
    ['GONE', []],
  ])
  t.same(priceLines('EUR', [{ sku: 'A', quantity: 2 }], lists), { ok: true, items: [{ sku: 'A', quantity: 2, unitPrice: 100 }] })
  t.same(priceLines('EUR', [{ sku: 'A', quantity: 1, unitPrice: 100 }], lists), { ok: true, items: [{ sku: 'A', quantity: 1, unitPrice: 100 }] }, 'a matching price is fine')
  t.same(priceLines('EUR', [{ sku: 'B', quantity: 1 }, { sku: 'X', quantity: 1 }, { sku: 'X', quantity: 1 }, { sku: 'GONE', quantity: 1 }], lists), { ok: false, problem: 'SKU_NOT_PRICED', skus: ['X', 'GONE'] })
  t.same(priceLines('EUR', [{ sku: 'B', quantity: 1, unitPrice: 1 }, { sku: 'A', quantity: 1, unitPrice: 1 }], lists), { ok: false, problem: 'CURRENCY_NOT_SOLD', skus: ['B'] })
  t.same(priceLines('EUR', [{ sku: 'A', quantity: 1, unitPrice: 99 }], lists), { ok: false, problem: 'PRICE_MISMATCH', mismatches: [{ sku: 'A', sent: 99, listed: 100 }] })
})
