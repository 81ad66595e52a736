import t from 'tap'
import { inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const writer = tb.auth(['inventory:write'], { sub: 'clerk-7' })
const reader = tb.auth(['inventory:read'])
const get = (url: string, headers: Record<string, string> = reader) => tb.app.inject({ method: 'GET', url, headers })
const put = (s: string, payload: unknown, headers: Record<string, string> = writer) =>
  tb.app.inject({ method: 'PUT', url: `/v1/inventory/${s}`, headers, payload: payload as Record<string, unknown> })
const audit = (s: string) =>
  tb.orm.em
    .fork()
    .execute<{ change: number; on_hand_after: number; reason: string; actor: string }[]>(
      'select change, on_hand_after, reason, actor from stock_adjustments where sku = ? order by id',
      [s],
    )

t.test('GET /v1/inventory/:sku with any valid token shows on hand, reserved and available', async (t) => {
  const s = sku('G')
  await tb.seed(s, 12, 5)
  const res = await get(`/v1/inventory/${s}`)
  t.equal(res.statusCode, 200)
  t.match(res.json(), { sku: s, onHand: 12, reserved: 5, available: 7, updatedAt: /^\d{4}-/ })
})

t.test('GET errors: 404 unknown, 400 malformed, 401 without a valid token', async (t) => {
  const missing = await get('/v1/inventory/NOPE-1')
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'SKU_NOT_FOUND', sku: 'NOPE-1' })
  const malformed = await get('/v1/inventory/-bad!')
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { code: 'VALIDATION_FAILED', errors: [{ field: /sku/ }] })
  t.equal((await get('/v1/inventory/X', {})).statusCode, 401)
  t.equal((await get('/v1/inventory/X', tb.auth([], { expiresIn: -10 }))).statusCode, 401, 'expired token')
})

t.test('PUT set creates the SKU (201), then sets it (200), and audits each change', async (t) => {
  const s = sku('P')
  const created = await put(s, { set: 10, reason: 'initial count' })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { sku: s, onHand: 10, reserved: 0, available: 10 })
  const counted = await put(s, { set: 8, reason: 'stocktake' })
  t.equal(counted.statusCode, 200)
  t.match(counted.json(), { onHand: 8, available: 8 })
  const delivered = await put(s, { adjust: 5, reason: 'delivery' })
  t.match(delivered.json(), { onHand: 13 })
  const broken = await put(s, { adjust: -3, reason: 'broken in transit' })
  t.match(broken.json(), { onHand: 10 })
  t.same(await audit(s), [
    { change: 10, on_hand_after: 10, reason: 'initial count', actor: 'clerk-7' },
    { change: -2, on_hand_after: 8, reason: 'stocktake', actor: 'clerk-7' },
    { change: 5, on_hand_after: 13, reason: 'delivery', actor: 'clerk-7' },
    { change: -3, on_hand_after: 10, reason: 'broken in transit', actor: 'clerk-7' },
  ])
})

t.test('PUT refuses to drop on hand below what is reserved (409) and changes nothing', async (t) => {
  const s = sku('R')
  await tb.seed(s, 10, 6)
  for (const body of [{ set: 5, reason: 'count' }, { adjust: -5, reason: 'loss' }]) {
    const res = await put(s, body)
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'STOCK_BELOW_RESERVED', sku: s, onHand: 10, reserved: 6, requestedOnHand: 5 })
  }
  t.equal((await put(s, { set: 6, reason: 'exactly what is promised' })).statusCode, 200)
  t.same(await tb.stock(s), { onHand: 6, reserved: 6 })
  t.equal((await audit(s)).length, 1, 'refused changes leave no audit row')
})

t.test('PUT refuses to raise on hand past 10^9 units (409), which adjustments once added up to: an int overflow and a 500', async (t) => {
  const s = sku('L')
  t.equal((await put(s, { set: 1_000_000_000, reason: 'count' })).statusCode, 201)
  for (const adjust of [1, 1_000_000_000]) {
    const res = await put(s, { adjust, reason: 'delivery' })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'STOCK_ABOVE_LIMIT', sku: s, onHand: 1_000_000_000, requestedOnHand: 1_000_000_000 + adjust, maxUnits: 1_000_000_000 })
  }
  t.same(await tb.stock(s), { onHand: 1_000_000_000, reserved: 0 })
  t.equal((await audit(s)).length, 1, 'refused changes leave no audit row')
})

t.test('PUT takes a body as typed: "set": "5" is a type error, not 5', async (t) => {
  const res = await put(sku('T'), { set: '5', reason: 'count' })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { code: 'VALIDATION_FAILED' })
})

t.test('a forged list cursor naming no SKU the API could take (NUL) is 400 INVALID_CURSOR, not a failed query', async (t) => {
  const cursor = Buffer.from(JSON.stringify(['A\u0000'])).toString('base64url')
  const res = await get(`/v1/inventory?cursor=${cursor}`)
  t.equal(res.statusCode, 400)
  t.match(res.json(), { code: 'INVALID_CURSOR' })
})

t.test('PUT adjust of an unknown SKU is 404', async (t) => {
  const res = await put(sku('U'), { adjust: 3, reason: 'delivery' })
  t.equal(res.statusCode, 404)
  t.match(res.json(), { code: 'SKU_NOT_FOUND' })
})

t.test('PUT body errors are 400', async (t) => {
  const s = sku('B')
  const bodies = [
    {},
    { reason: 'nothing to do' },
    { set: 1, adjust: 1, reason: 'both' },
    { set: -1, reason: 'negative count' },
    { set: 1.5, reason: 'half a unit' },
    { adjust: 0, reason: 'no change' },
    { set: 1 },
    { set: 1, reason: '' },
    { set: 1, reason: 'r'.repeat(201) },
    { set: 1, reason: 'extra', note: 'x' },
  ]
  for (const body of bodies) {
    const res = await put(s, body)
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60))
    t.match(res.json(), { code: 'VALIDATION_FAILED' })
  }
  t.equal((await put('bad sku!', { set: 1, reason: 'x' })).statusCode, 400, 'malformed SKU')
  t.equal(await tb.stock(s), undefined, 'nothing created')
})

t.test('PUT needs inventory:write (403) and a token (401)', async (t) => {
  const s = sku('A')
  const forbidden = await put(s, { set: 1, reason: 'x' }, tb.auth(['orders:write']))
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.json(), { code: 'FORBIDDEN', missingRoles: ['inventory:write'] })
  t.equal((await put(s, { set: 1, reason: 'x' }, {})).statusCode, 401)
  t.equal(await tb.stock(s), undefined)
})

t.test('the list pages by SKU with a cursor, without repeats', async (t) => {
  const prefix = sku('L')
  const skus = Array.from({ length: 7 }, (_, i) => `${prefix}-${i}`)
  for (const s of skus) await tb.seed(s, 1)
  const all: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await get(`/v1/inventory?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(res.statusCode, 200)
    const page = res.json<{ items: { sku: string }[]; nextCursor: string | null }>()
    t.ok(page.items.length <= 3)
    all.push(...page.items.map((i) => i.sku))
    cursor = page.nextCursor
    pages++
  } while (cursor)
  t.same(all, [...all].sort(), 'sorted by SKU')
  t.equal(new Set(all).size, all.length, 'no repeats')
  t.ok(skus.every((s) => all.includes(s)), 'every SKU listed')
  t.equal(pages, Math.ceil(all.length / 3))
})

t.test('list errors: bad cursor, limit out of bounds, unknown parameter, no token', async (t) => {
  t.match((await get('/v1/inventory?cursor=garbage')).json(), { status: 400, code: 'INVALID_CURSOR' })
  const notOurs = Buffer.from(JSON.stringify([1])).toString('base64url')
  t.match((await get(`/v1/inventory?cursor=${notOurs}`)).json(), { status: 400, code: 'INVALID_CURSOR' })
  t.match((await get('/v1/inventory?limit=0')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.match((await get('/v1/inventory?limit=101')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.match((await get('/v1/inventory?sort=desc')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.equal((await get('/v1/inventory', {})).statusCode, 401)
})

t.test('the OpenAPI document lists the stock routes with their roles', async (t) => {
  const doc = (await tb.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: unknown }>> }>()
  t.ok(doc.paths['/v1/inventory']?.get)
  t.ok(doc.paths['/v1/inventory/{sku}']?.get)
  t.ok(doc.paths['/v1/inventory/reservations']?.get)
  t.match(doc.paths['/v1/inventory/{sku}']?.put?.security, [{ bearerAuth: ['inventory:write'] }])
})
