import t from 'tap'
import { checkEvent } from '@orderflow/contracts'
import { TEST_JWT_SECRETS } from '@orderflow/testing'
import { writePriceLists } from '../src/catalog/price-lists.sql.js'
import { orderBody, orderTestbed, priceItems } from './testbed.js'

const tb = await orderTestbed(t)
const writer = tb.auth(['orders:write'])

const post = (payload: unknown, headers: Record<string, string> = writer) =>
  tb.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) })

const countRows = async (table: string): Promise<number> => {
  const [row] = await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from ${table}`)
  return Number(row?.n)
}

t.test('202: the order, its items, timeline, its saga, order.created and ReserveStock commit together', async (t) => {
  const res = await post(orderBody())
  t.equal(res.statusCode, 202)
  const body = res.json<{ id: string; status: string; totalAmount: number; items: unknown[]; timeline: { type: string }[]; links: { self: string } }>()
  t.equal(res.headers.location, `/v1/orders/${body.id}`)
  t.equal(body.links.self, res.headers.location)
  t.match(body, { status: 'PENDING', totalAmount: 2 * 1250 + 999, currency: 'EUR', customerId: 'c-42' })
  t.same(body.items, [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1250, lineTotal: 2500 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 999, lineTotal: 999 },
  ])
  t.match(body.timeline, [{ type: 'CREATED' }])
  t.notOk('payment' in body, 'the payment token is not echoed')
  const stored = await tb.app.inject({ method: 'GET', url: body.links.self, headers: tb.auth(['orders:read']) })
  t.same(stored.json(), body, 'what was stored reads back (through the entities) as the 202 said')

  const [saga] = await tb.orm.em.fork().execute<{ state: string; deadline_at: string | null; payment_token: string; progress: unknown; version: number }[]>(
    'select state, deadline_at, payment_token, progress, version from sagas where order_id = ?',
    [body.id],
  )
  t.match(saga, { state: 'RESERVING', payment_token: 'tok_visa', progress: {}, version: 1 }, 'the saga started beside its order')
  const deadline = new Date(saga?.deadline_at ?? 0).getTime()
  t.ok(deadline > Date.now() + 5_000 && deadline <= Date.now() + 10_000, 'reserving, with the step timeout as its deadline')

  const outbox = await tb.orm.em.fork().execute<{ id: string; subject: string; payload: unknown }[]>(
    `select id, subject, payload from outbox where payload->>'subject' = ? order by seq`,
    [body.id],
  )
  t.same(
    outbox.map((m) => m.subject),
    ['order.evt.created', 'inventory.cmd.reserve'],
  )
  const [created, reserve] = outbox.map((m) => ({ id: m.id, check: checkEvent(m.payload) }))
  t.ok(created?.check.ok && reserve?.check.ok, 'both are valid events')
  if (created?.check.ok) {
    t.equal(created.check.event.id, created.id, 'the row id is the event id (the Nats-Msg-Id)')
    t.same(created.check.event.data, {
      orderId: body.id,
      customerId: 'c-42',
      email: 'ada@example.com',
      currency: 'EUR',
      items: body.items.map((i) => {
        const { lineTotal: _, ...line } = i as { lineTotal: number }
        return line
      }),
      totalAmount: 3499,
    }, 'order.created carries no payment details')
  }
  if (reserve?.check.ok) t.same(reserve.check.event.data, { orderId: body.id, items: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1 }] })
})

t.test('an order without payment details is refused by the schema; nothing is stored', async (t) => {
  const before = await countRows('orders')
  const res = await post(orderBody({ payment: undefined }))
  t.equal(res.statusCode, 400)
  const problem = res.json<{ code: string; errors: { field: string }[] }>()
  t.equal(problem.code, 'VALIDATION_FAILED')
  t.ok(problem.errors.some((e) => /payment/.test(e.field) || /payment/.test(JSON.stringify(e))), `names payment (${JSON.stringify(problem.errors)})`)
  t.equal(await countRows('orders'), before)
})

t.test('prices come from the price list: an order without unit prices is priced from it', async (t) => {
  const res = await post(orderBody({ items: [{ sku: 'SKU-1', quantity: 3 }, { sku: 'SKU-2', quantity: 1 }] }))
  t.equal(res.statusCode, 202)
  t.match(res.json(), { totalAmount: 3 * 1250 + 999, items: [{ sku: 'SKU-1', unitPrice: 1250, lineTotal: 3750 }, { sku: 'SKU-2', unitPrice: 999, lineTotal: 999 }] })
})

t.test('an order is refused, and nothing stored, for an unpriced SKU, a currency not sold or a unit price that differs', async (t) => {
  await priceItems(tb, orderBody({ currency: 'USD', items: [{ sku: 'SKU-USD', quantity: 1, unitPrice: 500 }] }))
  await priceItems(tb, orderBody({ items: [{ sku: 'SKU-GONE', quantity: 1, unitPrice: 1 }] }))
  await writePriceLists([{ sku: 'SKU-GONE', version: 99, prices: [] }]).execute(tb.ctx.db) // no longer sold
  const before = await countRows('orders')
  const cases: Array<[string, Record<string, unknown>, number, Record<string, unknown>]> = [
    ['a SKU without a price list', orderBody({ items: [{ sku: 'SKU-1', quantity: 1 }, { sku: 'NEVER-PRICED', quantity: 1 }, { sku: 'NEVER-PRICED', quantity: 2 }] }), 422, { code: 'SKU_NOT_PRICED', skus: ['NEVER-PRICED'] }],
    ['a SKU whose list is empty', orderBody({ items: [{ sku: 'SKU-GONE', quantity: 1 }] }), 422, { code: 'SKU_NOT_PRICED', skus: ['SKU-GONE'] }],
    ['a currency the SKUs are not sold in', orderBody({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }, { sku: 'SKU-USD', quantity: 1 }] }), 422, { code: 'CURRENCY_NOT_SOLD', currency: 'EUR', skus: ['SKU-USD'] }],
    ['a unit price that differs', orderBody({ items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 1 }, { sku: 'SKU-2', quantity: 1, unitPrice: 999 }] }), 409, { code: 'PRICE_MISMATCH', mismatches: [{ sku: 'SKU-1', sent: 1, listed: 1250 }] }],
  ]
  for (const [name, body, status, problem] of cases) {
    const res = await post(body)
    t.equal(res.statusCode, status, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    t.match(res.json(), problem, name)
  }
  t.equal(await countRows('orders'), before, 'no order was stored')
  const usd = await post(orderBody({ currency: 'USD', items: [{ sku: 'SKU-USD', quantity: 2 }] }))
  t.equal(usd.statusCode, 202, 'in the currency it is sold in, the SKU sells')
  t.match(usd.json(), { totalAmount: 1000 })
})

t.test('a new price list reaches intake once the cached one has expired (PRICE_CACHE_TTL_MS)', async (t) => {
  const fast = await orderTestbed(t, { PRICE_CACHE_TTL_MS: '100' })
  const place = () =>
    fast.app.inject({ method: 'POST', url: '/v1/orders', headers: { 'content-type': 'application/json', ...fast.auth(['orders:write']) }, payload: JSON.stringify(orderBody({ items: [{ sku: 'SKU-1', quantity: 1 }] })) })
  t.match((await place()).json(), { totalAmount: 1250 })
  await writePriceLists([{ sku: 'SKU-1', version: 2, prices: [{ currency: 'EUR', unitPrice: 1300 }] }]).execute(fast.ctx.db)
  await writePriceLists([{ sku: 'SKU-1', version: 1, prices: [{ currency: 'EUR', unitPrice: 1 }] }]).execute(fast.ctx.db) // older: ignored
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.match((await place()).json(), { totalAmount: 1300 }, 'the newer list, not the older one written after it')
})

t.test('a shipping address is stored with the order', async (t) => {
  const shippingAddress = { name: 'Ada Lovelace', line1: "12 St James's Sq", city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }
  const res = await post(orderBody({ shippingAddress }))
  t.equal(res.statusCode, 202)
  const body = res.json<{ links: { self: string } }>()
  const stored = await tb.app.inject({ method: 'GET', url: body.links.self, headers: tb.auth(['orders:read']) })
  t.match(stored.json(), { shippingAddress })
  t.same(stored.json(), body)
})

t.test('400 names each invalid field and stores nothing', async (t) => {
  const before = await countRows('orders')
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing customerId', orderBody({ customerId: undefined }), /^body\.customerId$/],
    ['quantity 0', orderBody({ items: [{ sku: 'A', quantity: 0, unitPrice: 1 }] }), /^body\.items\[0\]\.quantity$/],
    ['quantity 1001', orderBody({ items: [{ sku: 'A', quantity: 1001, unitPrice: 1 }] }), /^body\.items\[0\]\.quantity$/],
    ['fractional price', orderBody({ items: [{ sku: 'A', quantity: 1, unitPrice: 9.99 }] }), /^body\.items\[0\]\.unitPrice$/],
    ['negative price', orderBody({ items: [{ sku: 'A', quantity: 1, unitPrice: -1 }] }), /^body\.items\[0\]\.unitPrice$/],
    ['currency not ISO 4217', orderBody({ currency: 'euro' }), /^body\.currency$/],
    ['bad email', orderBody({ email: 'not-an-email' }), /^body\.email$/],
    ['no items', orderBody({ items: [] }), /^body\.items$/],
    ['101 items', orderBody({ items: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPrice: 1 })) }), /^body\.items$/],
    ['unknown field', orderBody({ discount: 50 }), /^body\.discount$/],
    ['bad sku', orderBody({ items: [{ sku: '../etc', quantity: 1, unitPrice: 1 }] }), /^body\.items\[0\]\.sku$/],
    ['unknown payment method', orderBody({ payment: { method: 'cash', token: 't' } }), /^body\.payment\.method$/],
    // Coerced silently before, type errors now.
    ['quantity as text', orderBody({ items: [{ sku: 'A', quantity: '2', unitPrice: 1 }] }), /^body\.items\[0\]\.quantity$/],
    ['customerId as a number', orderBody({ customerId: 42 }), /^body\.customerId$/],
    ['currency not in use (ZZZ)', orderBody({ currency: 'ZZZ' }), /^body\.currency$/],
    // Text PostgreSQL cannot store: a 500 before.
    ['NUL in customerId', orderBody({ customerId: 'c\u0000' }), /^body\.customerId$/],
    ['NUL in the payment token', orderBody({ payment: { method: 'card', token: 'tok\u0000' } }), /^body\.payment\.token$/],
  ]
  for (const [name, payload, field] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    const problem = res.json<{ code: string; errors: { field: string }[] }>()
    t.equal(problem.code, 'VALIDATION_FAILED', name)
    t.ok(problem.errors.some((e) => field.test(e.field)), `${name}: names the field (${problem.errors.map((e) => e.field).join(', ')})`)
  }
  t.equal(await countRows('orders'), before, 'no order was stored')
})

t.test('a total beyond the exact integer range is refused', async (t) => {
  const items = Array.from({ length: 100 }, (_, i) => ({ sku: `S${i}`, quantity: 1000, unitPrice: 100_000_000_000 }))
  await priceItems(tb, orderBody({ items }))
  const res = await post(orderBody({ items }))
  t.equal(res.statusCode, 400)
  t.match(res.json(), { code: 'ORDER_TOTAL_TOO_LARGE' })
})

t.test('a total beyond what order.created carries (10^11) is refused, and one of exactly 10^11 is a valid event', async (t) => {
  await priceItems(tb, orderBody({ items: [{ sku: 'A', quantity: 1, unitPrice: 100_000_000_000 }, { sku: 'B', quantity: 1, unitPrice: 1 }] }))
  const before = await countRows('orders')
  // Once a 500: the API took totals up to 9·10^15, the event contract stops at 10^11.
  for (const items of [[{ sku: 'A', quantity: 10, unitPrice: 100_000_000_000 }], [{ sku: 'A', quantity: 1, unitPrice: 100_000_000_000 }, { sku: 'B', quantity: 1, unitPrice: 1 }]]) {
    const res = await post(orderBody({ items }))
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'ORDER_TOTAL_TOO_LARGE' })
  }
  t.equal(await countRows('orders'), before, 'nothing stored')
  const largest = await post(orderBody({ items: [{ sku: 'A', quantity: 1, unitPrice: 100_000_000_000 }] }))
  t.equal(largest.statusCode, 202)
  const { id } = largest.json<{ id: string }>()
  const [created] = await tb.orm.em.fork().execute<{ payload: unknown }[]>(`select payload from outbox where payload->>'subject' = ? and type = 'orderflow.order.created.v1'`, [id])
  t.ok(created && checkEvent(created.payload).ok, 'order.created with totalAmount 10^11 is valid')
})

t.test('malformed JSON, wrong media type and oversized bodies are problems too', async (t) => {
  const malformed = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...writer, 'content-type': 'application/json' }, payload: '{"customerId":' })
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { code: 'MALFORMED_JSON' })

  const text = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...writer, 'content-type': 'text/plain' }, payload: 'order please' })
  t.equal(text.statusCode, 415)
  t.match(text.json(), { code: 'UNSUPPORTED_MEDIA_TYPE' })

  const huge = orderBody({ customerId: 'x'.repeat(100), email: `${'a'.repeat(60)}@example.com`, items: Array.from({ length: 100 }, (_, i) => ({ sku: `SKU-${'9'.repeat(50)}-${i}`, quantity: 1, unitPrice: 1 })) })
  const padded = { ...huge, shippingAddress: { name: 'n'.repeat(200), line1: 'l'.repeat(200), line2: 'm'.repeat(200), city: 'c', postalCode: 'p', country: 'DE' } }
  const big = await post({ ...padded, filler: 'z'.repeat(70_000) })
  t.equal(big.statusCode, 413)
  t.match(big.json(), { code: 'PAYLOAD_TOO_LARGE' })
})

t.test('401 without a token, with an expired one, or one signed by an unknown secret', async (t) => {
  const none = await post(orderBody(), {})
  t.equal(none.statusCode, 401)
  t.match(none.json(), { code: 'UNAUTHORIZED' })
  t.match(none.headers['www-authenticate'], /^Bearer/)

  const expired = await post(orderBody(), tb.auth(['orders:write'], { expiresIn: -60 }))
  t.equal(expired.statusCode, 401)
  const forged = await post(orderBody(), tb.auth(['orders:write'], { secret: 'some-other-secret-0123456789abcdef' }))
  t.equal(forged.statusCode, 401)
  t.not(expired.json<{ detail: string }>().detail, forged.json<{ detail: string }>().detail, 'the detail tells expiry from a bad signature')
})

t.test('a token signed with the second (previous) secret is still accepted', async (t) => {
  const res = await post(orderBody(), tb.auth(['orders:write'], { secret: TEST_JWT_SECRETS[1] }))
  t.equal(res.statusCode, 202)
})

t.test('403 with the wrong role', async (t) => {
  const res = await post(orderBody(), tb.auth(['orders:read']))
  t.equal(res.statusCode, 403)
  t.match(res.json(), { code: 'FORBIDDEN', missingRoles: ['orders:write'] })
})
