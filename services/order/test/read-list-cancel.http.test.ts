import { randomUUID } from 'node:crypto'
import t from 'tap'
import { orderBody, orderTestbed, replies, sagaHarness } from './testbed.js'

const tb = await orderTestbed(t)
const h = sagaHarness(tb)
const rw = tb.auth(['orders:read', 'orders:write'])
const reader = tb.auth(['orders:read'])

async function place(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: rw, payload: orderBody(overrides) })
  if (res.statusCode !== 202) throw new Error(`placing failed: ${res.body}`)
  return res.json<{ id: string }>().id
}
const setStatus = (id: string, status: string) => tb.orm.em.fork().execute('update orders set status = ? where id = ?', [status, id])
const get = (url: string, headers = reader) => tb.app.inject({ method: 'GET', url, headers })

t.test('GET /v1/orders/:id returns the order with items and timeline', async (t) => {
  const id = await place({ customerId: 'reader', shippingAddress: { name: 'Ada', line1: '1 Loop St', city: 'Berlin', postalCode: '10115', country: 'DE' } })
  const res = await get(`/v1/orders/${id}`)
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    id,
    status: 'PENDING',
    items: [{ sku: 'SKU-1' }, { sku: 'SKU-2' }],
    shippingAddress: { city: 'Berlin' },
    timeline: [{ type: 'CREATED', at: /^\d{4}-\d\d-\d\dT/ }],
  })
})

t.test('GET an unknown id is 404, a malformed one 400, without the role 403', async (t) => {
  const missing = await get(`/v1/orders/${randomUUID()}`)
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'ORDER_NOT_FOUND' })
  const malformed = await get('/v1/orders/not-a-uuid')
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { code: 'VALIDATION_FAILED', errors: [{ field: /id/ }] })
  const forbidden = await get(`/v1/orders/${randomUUID()}`, tb.auth(['orders:write']))
  t.equal(forbidden.statusCode, 403)
  t.equal((await tb.app.inject({ method: 'GET', url: `/v1/orders/${randomUUID()}` })).statusCode, 401)
})

t.test('the list is newest first, filtered, and pages with a cursor without repeats', async (t) => {
  const customerId = `lister-${randomUUID().slice(0, 8)}`
  const ids: string[] = []
  for (let i = 0; i < 7; i++) ids.push(await place({ customerId }))
  await setStatus(ids[0] ?? '', 'FAILED')

  const seen: string[] = []
  let cursor: string | null = null
  do {
    const query: string = `customerId=${customerId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`
    const res = await get(`/v1/orders?${query}`)
    t.equal(res.statusCode, 200)
    const page = res.json<{ items: { id: string; createdAt: string }[]; nextCursor: string | null }>()
    t.ok(page.items.length <= 3)
    seen.push(...page.items.map((o) => o.id))
    cursor = page.nextCursor
  } while (cursor)
  t.same(seen, [...ids].reverse(), 'every order once, newest first')

  const failed = await get(`/v1/orders?customerId=${customerId}&status=FAILED`)
  t.same(failed.json<{ items: { id: string }[] }>().items.map((o) => o.id), [ids[0]])

  const future = new Date(Date.now() + 60_000).toISOString()
  const none = await get(`/v1/orders?customerId=${customerId}&createdFrom=${encodeURIComponent(future)}`)
  t.same(none.json(), { items: [], nextCursor: null })
  const upToNow = await get(`/v1/orders?customerId=${customerId}&createdTo=${encodeURIComponent(future)}&limit=100`)
  t.equal(upToNow.json<{ items: unknown[] }>().items.length, 7)
})

t.test('a cursor keeps the filters and the limit of its first page', async (t) => {
  // 5 orders of two customers, interleaved: a page of one customer must never show the other's.
  const ada = `ada-${randomUUID().slice(0, 8)}`
  const bob = `bob-${randomUUID().slice(0, 8)}`
  const ids: Record<string, string[]> = { [ada]: [], [bob]: [] }
  for (const customerId of [ada, bob, ada, bob, ada]) ids[customerId]?.push(await place({ customerId }))
  type Page = { items: { id: string; customerId: string }[]; nextCursor: string | null }

  const first = await get(`/v1/orders?customerId=${ada}&limit=2`)
  t.equal(first.statusCode, 200)
  const seen: string[] = []
  let page = first.json<Page>()
  const sizes: number[] = []
  for (;;) {
    sizes.push(page.items.length)
    t.ok(page.items.every((o) => o.customerId === ada), 'only the filtered customer')
    seen.push(...page.items.map((o) => o.id))
    if (!page.nextCursor) break
    // The cursor alone, as the README shows it.
    const next = await get(`/v1/orders?cursor=${page.nextCursor}`)
    t.equal(next.statusCode, 200)
    page = next.json<Page>()
  }
  t.same(sizes, [2, 1], 'the first page size kept')
  t.same(seen, [...(ids[ada] ?? [])].reverse(), "ada's three orders, newest first, once each")

  const cursor = first.json<Page>().nextCursor ?? ''
  const same = await get(`/v1/orders?customerId=${ada}&limit=2&cursor=${cursor}`)
  t.equal(same.statusCode, 200, 'the same filters with the cursor are fine')
  t.same(same.json<Page>().items.map((o) => o.id), [ids[ada]?.[0]])
  const wider = await get(`/v1/orders?cursor=${cursor}&limit=5`)
  t.equal(wider.json<Page>().items.length, 1, 'a limit given anew does not widen the filter')
  const other = await get(`/v1/orders?customerId=${bob}&cursor=${cursor}`)
  t.equal(other.statusCode, 400)
  t.match(other.json(), { code: 'INVALID_CURSOR' })
  t.match((await get(`/v1/orders?status=PENDING&cursor=${cursor}`)).json(), { status: 400, code: 'INVALID_CURSOR' })

  const unfiltered = await get(`/v1/orders?limit=2`)
  t.equal(unfiltered.json<Page>().items.length, 2)
  const defaultSize = await get(`/v1/orders?customerId=${bob}`)
  t.equal(defaultSize.json<Page>().items.length, 2)
})

t.test('links.cancel only where a cancel can still succeed', async (t) => {
  const placed = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: rw, payload: orderBody({ customerId: `links-${randomUUID().slice(0, 8)}` }) })
  const body = placed.json<{ id: string; links: { self: string; cancel?: string } }>()
  t.equal(body.links.cancel, `/v1/orders/${body.id}/cancel`, 'a new order can be cancelled')
  const customerId = `links-${randomUUID().slice(0, 8)}`
  for (const status of ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'FAILED', 'CANCELLED']) {
    const id = await place({ customerId })
    await setStatus(id, status)
    const cancellable = status === 'PENDING' || status === 'CONFIRMED'
    const one = (await get(`/v1/orders/${id}`)).json<{ links: Record<string, string> }>()
    t.equal(one.links.self, `/v1/orders/${id}`)
    t.equal('cancel' in one.links, cancellable, `GET one, ${status}`)
    const list = (await get(`/v1/orders?customerId=${customerId}&status=${status}`)).json<{ items: { id: string; links: Record<string, string> }[] }>()
    t.equal('cancel' in (list.items[0]?.links ?? {}), cancellable, `list item, ${status}`)
  }
  const cancelled = await tb.app.inject({ method: 'POST', url: `/v1/orders/${body.id}/cancel`, headers: rw, payload: {} })
  t.equal(cancelled.statusCode, 202)
  const answer = cancelled.json<{ status: string; links: Record<string, string> }>()
  t.equal('cancel' in answer.links, answer.status === 'PENDING' || answer.status === 'CONFIRMED', `cancel answer, ${answer.status}`)
})

t.test('list errors: bad cursor, inverted range, limit out of bounds, unknown status', async (t) => {
  t.match((await get('/v1/orders?cursor=garbage')).json(), { status: 400, code: 'INVALID_CURSOR' })
  const from = new Date().toISOString()
  const to = new Date(Date.now() - 60_000).toISOString()
  t.match((await get(`/v1/orders?createdFrom=${from}&createdTo=${to}`)).json(), { status: 400, code: 'INVALID_DATE_RANGE' })
  t.match((await get('/v1/orders?limit=0')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.match((await get('/v1/orders?limit=101')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.match((await get('/v1/orders?status=LOST')).json(), { status: 400, code: 'VALIDATION_FAILED' })
})

t.test('list dates the date-time format lets through but PostgreSQL cannot compare with are 400, not 500', async (t) => {
  const cases: [string, string][] = [
    ['year 0000', 'createdFrom=0000-01-01T00:00:00Z'],
    ['year 0001 at +14:00, year 0000 in UTC', `createdFrom=${encodeURIComponent('0001-01-01T00:00:00+14:00')}`],
    ['past year 9999 in UTC', 'createdTo=9999-12-31T23:59:59-14:00'],
    ['a leap second', 'createdTo=2016-12-31T23:59:60Z'],
  ]
  for (const [name, query] of cases) {
    const res = await get(`/v1/orders?${query}`)
    t.equal(res.statusCode, 400, name)
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ field: /^querystring\.created(From|To)$/, message: /between 0001-01-01T00:00:00Z and 9999-12-31/ }] }, name)
  }
  const widest = await get('/v1/orders?createdFrom=0001-01-01T00:00:00Z&createdTo=9999-12-31T23:59:59.999Z')
  t.equal(widest.statusCode, 200, 'the first and last instants of four-digit years are fine')
  t.match((await get('/v1/orders?customerId=%00')).json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'querystring.customerId' }] })
  t.match((await get('/v1/orders?limit=Infinity')).json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'querystring.limit' }] })
  // ajv-formats' uuid took a urn:uuid: prefix, which PostgreSQL's uuid does not.
  t.match((await get(`/v1/orders/urn:uuid:${randomUUID()}`)).json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ field: 'params.id' }] })
})

t.test('cancel: 202 while PENDING or CONFIRMED; the saga moves in the request and its commands go out', async (t) => {
  const id = await place()
  const res = await tb.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: rw, payload: { reason: 'changed my mind' } })
  t.equal(res.statusCode, 202)
  t.match(res.json(), { id, status: 'PENDING', cancellation: 'REQUESTED' })
  const events = await tb.orm.em.fork().execute<{ type: string; payload: { data: { reason: string } } }[]>(
    `select type, payload from outbox where payload->>'subject' = ? order by seq`,
    [id],
  )
  t.same(
    events.map((e) => e.type),
    ['orderflow.order.created.v1', 'orderflow.inventory.reserve.v1', 'orderflow.inventory.release.v1'],
    'reserving: release at once (no order.cancel_requested any more)',
  )
  t.equal(events[2]?.payload.data.reason, 'CANCELLED')
  const order = (await get(`/v1/orders/${id}`)).json<{ timeline: { type: string; detail?: string }[] }>()
  t.match(order.timeline, [{ type: 'CREATED' }, { type: 'CANCEL_REQUESTED', detail: 'changed my mind' }, { type: 'COMPENSATING' }])

  const confirmed = await place()
  await h.deliver(replies.reserved(confirmed), replies.authorized(confirmed))
  // A bare POST, no body and no content type: the reason is optional.
  const bare = await tb.app.inject({ method: 'POST', url: `/v1/orders/${confirmed}/cancel`, headers: rw })
  t.equal(bare.statusCode, 202, 'a confirmed order that has not shipped can still be cancelled')
  t.match(bare.json(), { status: 'CONFIRMED', cancellation: 'REQUESTED' })
  t.same((await h.sent(confirmed)).at(-1), 'fulfillment.cancel', 'fulfilment is asked whether the goods have left')
  const badReason = await tb.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: rw, payload: { reason: 'r'.repeat(501) } })
  t.match(badReason.json(), { status: 400, errors: [{ field: 'body.reason' }] })
})

t.test('cancel: 409 once shipped or finished, 404 unknown, 403 without orders:write', async (t) => {
  for (const status of ['SHIPPED', 'DELIVERED', 'FAILED', 'CANCELLED']) {
    const id = await place()
    await setStatus(id, status)
    const res = await tb.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: rw, payload: {} })
    t.equal(res.statusCode, 409, status)
    t.match(res.json(), { code: 'ORDER_NOT_CANCELLABLE', status: 409, orderId: id })
    t.same(await h.sent(id), ['order.created', 'inventory.reserve'], `${status}: nothing sent`)
    t.match(await h.saga(id), { state: 'RESERVING', version: 1 }, `${status}: the saga untouched`)
  }
  const missing = await tb.app.inject({ method: 'POST', url: `/v1/orders/${randomUUID()}/cancel`, headers: rw, payload: {} })
  t.equal(missing.statusCode, 404)
  const id = await place()
  const forbidden = await tb.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: reader, payload: {} })
  t.equal(forbidden.statusCode, 403)
})

t.test('the OpenAPI document lists the order routes with their roles', async (t) => {
  const res = await tb.app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json<{ paths: Record<string, Record<string, { security?: unknown }>> }>()
  t.ok(doc.paths['/v1/orders']?.post, 'POST /v1/orders')
  t.ok(doc.paths['/v1/orders/{id}']?.get, 'GET /v1/orders/{id}')
  t.ok(doc.paths['/v1/orders/{id}/cancel']?.post, 'POST /v1/orders/{id}/cancel')
  t.ok(doc.paths['/v1/orders/{id}/saga']?.get, 'GET /v1/orders/{id}/saga')
  t.match(doc.paths['/v1/orders']?.post?.security, [{ bearerAuth: ['orders:write'] }])
})
