import t from 'tap'
import { checkEvent, CURRENCY_CODES, MAX_MINOR_UNITS, SkuPriced, type CloudEvent } from '@orderflow/contracts'
import { eventually, inventoryTestbed, sku } from './testbed.js'

// No relay runs here: every event seen on JetStream was published by the PUT's own process,
// right after its commit.
const tb = await inventoryTestbed(t)
const writer = tb.auth(['inventory:write'])
const reader = tb.auth(['inventory:read'])
const put = (s: string, payload: unknown, headers: Record<string, string> = writer) =>
  tb.app.inject({ method: 'PUT', url: `/v1/inventory/${s}/prices`, headers, payload: payload as Record<string, unknown> })
const get = (s: string, headers: Record<string, string> = reader) => tb.app.inject({ method: 'GET', url: `/v1/inventory/${s}/prices`, headers })

interface PriceListBody {
  sku: string
  prices: { currency: string; unitPrice: number }[]
  version: number
  updatedAt: string
}

/** What the database holds for a SKU: its price list row and the outbox rows about it. */
async function written(s: string): Promise<{ lists: number; outbox: number }> {
  const [row] = await tb.orm.em
    .fork()
    .execute<{ lists: number; outbox: number }[]>(
      `select (select count(*) from price_lists where sku = ?)::int as lists, (select count(*) from outbox where payload->>'subject' = ?)::int as outbox`,
      [s, s],
    )
  return row ?? { lists: 0, outbox: 0 }
}

const stream = tb.topology.stream('INVENTORY')
/** The `SkuPriced` events about a SKU on JetStream, in stream order. */
async function published(s: string): Promise<CloudEvent[]> {
  const { state } = await tb.bus.jsm.streams.info(stream)
  const events: CloudEvent[] = []
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await tb.bus.jsm.streams.getMessage(stream, { seq })
    if (m?.subject !== tb.topology.subject(SkuPriced.subject)) continue
    const e = m.json<CloudEvent>()
    if (e.subject === s) events.push(e)
  }
  return events
}
/** Waits until every outbox row about the SKU is marked sent, then returns what JetStream holds. */
async function settled(s: string): Promise<CloudEvent[]> {
  await eventually(async () => {
    const [row] = await tb.orm.em
      .fork()
      .execute<{ n: number }[]>(`select count(*)::int as n from outbox where payload->>'subject' = ? and sent_at is null`, [s])
    return row?.n === 0 ? true : undefined
  }, `the events about ${s} published`)
  return published(s)
}

t.test('PUT replaces the list (by currency code), GET reads it back', async (t) => {
  const s = sku('PR')
  const res = await put(s, {
    prices: [
      { currency: 'USD', unitPrice: 1399 },
      { currency: 'EUR', unitPrice: 1250 },
    ],
  })
  t.equal(res.statusCode, 200)
  const body = res.json<PriceListBody>()
  t.same(body.prices, [
    { currency: 'EUR', unitPrice: 1250 },
    { currency: 'USD', unitPrice: 1399 },
  ])
  t.match(body, { sku: s, version: 1, updatedAt: /^\d{4}-\d\d-\d\dT/ })

  const read = await get(s)
  t.equal(read.statusCode, 200)
  t.same(read.json(), body, 'GET answers what the PUT did')
  t.equal((await get(s, writer)).statusCode, 200, 'inventory:write reads too')

  const replaced = await put(s, { prices: [{ currency: 'GBP', unitPrice: MAX_MINOR_UNITS }] })
  t.equal(replaced.statusCode, 200)
  t.match(replaced.json(), { sku: s, prices: [{ currency: 'GBP', unitPrice: MAX_MINOR_UNITS }], version: 2 })
  t.same((await get(s)).json<PriceListBody>().prices, [{ currency: 'GBP', unitPrice: MAX_MINOR_UNITS }], 'replaced whole, not merged')
})

t.test('every PUT counts a version and publishes one SkuPriced event with the whole list', async (t) => {
  const s = sku('PV')
  const lists = [
    [{ currency: 'EUR', unitPrice: 1000 }],
    [{ currency: 'EUR', unitPrice: 1000 }],
    [
      { currency: 'EUR', unitPrice: 900 },
      { currency: 'CHF', unitPrice: 950 },
    ],
    [],
  ]
  const versions: number[] = []
  for (const prices of lists) {
    const res = await put(s, { prices })
    t.equal(res.statusCode, 200)
    versions.push(res.json<PriceListBody>().version)
  }
  t.same(versions, [1, 2, 3, 4], 'the same list again is still a change')

  const events = await settled(s)
  t.equal(events.length, 4, 'one event per PUT')
  for (const e of events) {
    const check = checkEvent(e)
    t.ok(check.ok, `${e.id} keeps the contract`)
    t.equal(e.type, SkuPriced.type)
    t.equal(e.subject, s)
  }
  t.same(
    events.map((e) => e.data),
    [
      { sku: s, prices: [{ currency: 'EUR', unitPrice: 1000 }], version: 1 },
      { sku: s, prices: [{ currency: 'EUR', unitPrice: 1000 }], version: 2 },
      {
        sku: s,
        prices: [
          { currency: 'CHF', unitPrice: 950 },
          { currency: 'EUR', unitPrice: 900 },
        ],
        version: 3,
      },
      { sku: s, prices: [], version: 4 },
    ],
  )
  t.same((await get(s)).json<PriceListBody>().prices, [], 'an empty list: no longer sold')
})

t.test('a SKU is priced apart from its stock: before it is stocked, and stock alone has no price list', async (t) => {
  const priced = sku('PS')
  t.equal((await put(priced, { prices: [{ currency: 'EUR', unitPrice: 5 }] })).statusCode, 200)
  t.equal(await tb.stock(priced), undefined, 'pricing stocks nothing')
  t.match((await tb.app.inject({ method: 'GET', url: `/v1/inventory/${priced}`, headers: reader })).json(), { code: 'SKU_NOT_FOUND' })

  const stocked = sku('PS')
  await tb.seed(stocked, 3)
  const res = await get(stocked)
  t.equal(res.statusCode, 404)
  t.match(res.json(), { status: 404, code: 'PRICE_LIST_NOT_FOUND', sku: stocked })
  t.match((await get('NEVER-PRICED')).json(), { code: 'PRICE_LIST_NOT_FOUND', sku: 'NEVER-PRICED' })
  t.match((await get('-bad!')).json(), { status: 400, code: 'VALIDATION_FAILED' })
})

t.test('invalid bodies are 400 with a stable code, and write nothing', async (t) => {
  const s = sku('PB')
  const eur = { currency: 'EUR', unitPrice: 100 }
  const invalid: [string, unknown][] = [
    ['no body', undefined],
    ['no prices', {}],
    ['prices not a list', { prices: eur }],
    ['an unknown currency', { prices: [{ currency: 'ZZZ', unitPrice: 100 }] }],
    ['a lower-case code', { prices: [{ currency: 'eur', unitPrice: 100 }] }],
    ['a fund, not a currency in use', { prices: [{ currency: 'XXX', unitPrice: 100 }] }],
    ['a negative price', { prices: [{ currency: 'EUR', unitPrice: -1 }] }],
    ['a fraction of a minor unit', { prices: [{ currency: 'EUR', unitPrice: 12.5 }] }],
    ['a price as a string', { prices: [{ currency: 'EUR', unitPrice: '100' }] }],
    ['more than the largest amount', { prices: [{ currency: 'EUR', unitPrice: MAX_MINOR_UNITS + 1 }] }],
    ['no price', { prices: [{ currency: 'EUR' }] }],
    ['an extra property in an entry', { prices: [{ ...eur, discount: 10 }] }],
    ['an extra property in the body', { prices: [eur], reason: 'spring sale' }],
    ['more than 50 currencies', { prices: CURRENCY_CODES.slice(0, 51).map((currency) => ({ currency, unitPrice: 1 })) }],
  ]
  for (const [what, body] of invalid) {
    const res = await put(s, body)
    t.equal(res.statusCode, 400, what)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', what)
    t.match(res.json(), { status: 400, code: 'VALIDATION_FAILED' }, what)
  }

  const repeated = await put(s, { prices: [eur, { currency: 'USD', unitPrice: 110 }, { currency: 'EUR', unitPrice: 99 }] })
  t.equal(repeated.statusCode, 400)
  t.equal(repeated.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(repeated.json(), { status: 400, code: 'DUPLICATE_CURRENCY', sku: s, currency: 'EUR' })
  t.same(await written(s), { lists: 0, outbox: 0 }, 'nothing written')

  t.match((await put('bad sku!', { prices: [eur] })).json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ field: /sku/ }] }, 'a malformed SKU')

  const fifty = await put(s, { prices: CURRENCY_CODES.slice(0, 50).map((currency) => ({ currency, unitPrice: 1 })) })
  t.equal(fifty.statusCode, 200, 'fifty currencies are fine')
  t.equal(fifty.json<PriceListBody>().prices.length, 50)
})

t.test('PUT needs inventory:write (403) and a token (401); GET a reading role', async (t) => {
  const s = sku('PA')
  const body = { prices: [{ currency: 'EUR', unitPrice: 1 }] }
  const readOnly = await put(s, body, reader)
  t.equal(readOnly.statusCode, 403)
  t.match(readOnly.json(), { code: 'FORBIDDEN', missingRoles: ['inventory:write'] })
  t.equal((await put(s, body, tb.auth(['customer'], { sub: 'c-1' }))).statusCode, 403)
  t.equal((await put(s, body, {})).statusCode, 401)
  t.equal((await put(s, body, tb.auth(['inventory:write'], { expiresIn: -10 }))).statusCode, 401, 'expired token')
  t.same(await written(s), { lists: 0, outbox: 0 }, 'nothing written')
  t.equal((await get(s, tb.auth(['orders:read']))).statusCode, 403)
  t.equal((await get(s, {})).statusCode, 401)
})

t.test('concurrent PUTs of one SKU lose no version: each gets its own, and its own event', async (t) => {
  const s = sku('PC')
  const n = 8
  const responses = await Promise.all(Array.from({ length: n }, (_, i) => put(s, { prices: [{ currency: 'EUR', unitPrice: 100 + i }] })))
  t.same(
    responses.map((r) => r.statusCode),
    Array.from({ length: n }, () => 200),
  )
  const bodies = responses.map((r) => r.json<PriceListBody>())
  t.same(
    bodies.map((b) => b.version).sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i + 1),
    'versions 1..n, none twice',
  )
  const last = bodies.find((b) => b.version === n)
  t.same((await get(s)).json(), last, 'the list that stands is the one with the highest version')

  const events = await settled(s)
  t.equal(events.length, n, 'one event per PUT')
  const byVersion = new Map(events.map((e) => [(e.data as { version: number }).version, e.data]))
  for (const b of bodies) t.same(byVersion.get(b.version), { sku: s, prices: b.prices, version: b.version }, `version ${b.version} carries its list`)
})

t.test('two first PUTs of a SKU at once: versions 1 and 2, two events', async (t) => {
  const s = sku('PF')
  const [a, b] = await Promise.all([put(s, { prices: [{ currency: 'EUR', unitPrice: 1 }] }), put(s, { prices: [{ currency: 'USD', unitPrice: 2 }] })])
  t.same([a.json<PriceListBody>().version, b.json<PriceListBody>().version].sort(), [1, 2])
  t.equal((await settled(s)).length, 2)
})

t.test('the OpenAPI document lists the price routes with their roles and problems', async (t) => {
  type Operation = { security?: unknown; tags?: string[]; responses?: Record<string, unknown> }
  const doc = (await tb.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, Operation>> }>()
  const path = doc.paths['/v1/inventory/{sku}/prices']
  t.match(path?.put, { security: [{ bearerAuth: ['inventory:write'] }], tags: ['prices'] })
  t.match(path?.get, { security: [{ bearerAuth: ['inventory:read'] }, { bearerAuth: ['inventory:write'] }] })
  t.ok(path?.put?.responses?.['200'] && path.put.responses['400'] && path.put.responses['401'] && path.put.responses['403'])
  t.ok(path?.get?.responses?.['404'])
})
