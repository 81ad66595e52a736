import { randomUUID } from 'node:crypto'
import t from 'tap'
import { accessMatrix, testAccess, type AccessTable } from '@orderflow/testing/service'
import { orderBody, orderTestbed } from './testbed.js'

// Every route of the order service × every kind of caller, from the app's own route table: a
// route added without a row here fails the first test.
const tb = await orderTestbed(t)
const own = `c-${randomUUID().slice(0, 8)}`
const other = `c-${randomUUID().slice(0, 8)}`
const staff = tb.auth(['orders:read', 'orders:write'])

async function place(customerId = own): Promise<string> {
  const res = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: staff, payload: orderBody({ customerId }) })
  if (res.statusCode !== 202) throw new Error(`placing failed: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}
const ownOrder = await place()

const ops = { 'wrong role': 403, 'customer own': 403, 'customer other': 403, staff: 200 }
const table: AccessTable = {
  'POST /v1/orders': {
    roles: ['orders:write', 'customer'],
    // Customers order for themselves: `customer other` sends the own customer's id and is refused.
    request: () => ({ url: '/v1/orders', payload: orderBody({ customerId: own }) }),
    expect: { 'wrong role': 403, 'customer own': 202, 'customer other': 403, staff: 202 },
  },
  'GET /v1/orders/:id': {
    roles: ['orders:read', 'customer'],
    request: () => ({ url: `/v1/orders/${ownOrder}` }),
    expect: { 'wrong role': 403, 'customer own': 200, 'customer other': 404, staff: 200 },
  },
  'GET /v1/orders': {
    roles: ['orders:read', 'customer'],
    request: () => ({ url: '/v1/orders' }),
    expect: { 'wrong role': 403, 'customer own': 200, 'customer other': 200, staff: 200 },
  },
  'POST /v1/orders/:id/cancel': {
    roles: ['orders:write', 'customer'],
    // A fresh order for each caller, so that one caller's cancel does not decide the next one's.
    request: async () => ({ url: `/v1/orders/${await place()}/cancel`, payload: {} }),
    expect: { 'wrong role': 403, 'customer own': 202, 'customer other': 404, staff: 202 },
  },
  'GET /v1/orders/:id/saga': { roles: ['ops:dlq'], request: () => ({ url: `/v1/orders/${ownOrder}/saga` }), expect: ops },
  'GET /v1/dead-letters': { roles: ['ops:dlq'], request: () => ({ url: '/v1/dead-letters' }), expect: ops },
  'GET /v1/dead-letters/:seq': { roles: ['ops:dlq'], request: () => ({ url: '/v1/dead-letters/1' }), expect: { ...ops, staff: 404 } },
  'POST /v1/dead-letters/:seq/replay': { roles: ['ops:dlq'], request: () => ({ url: '/v1/dead-letters/1/replay' }), expect: { ...ops, staff: 404 } },
  'DELETE /v1/dead-letters/:seq': { roles: ['ops:dlq'], request: () => ({ url: '/v1/dead-letters/1' }), expect: { ...ops, staff: 404 } },
  'DELETE /v1/dead-letters': { roles: ['ops:dlq'], request: () => ({ url: '/v1/dead-letters?all=true' }), expect: ops },
}

const matrix = accessMatrix(tb.app, table, { own, other })

testAccess(t, matrix)

t.test('a customer places orders for itself only, with a stable code', async (t) => {
  const customer = tb.auth(['customer'], { sub: own })
  const refused = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: customer, payload: orderBody({ customerId: other }) })
  t.equal(refused.statusCode, 403)
  t.match(refused.json(), { code: 'CUSTOMER_MISMATCH', customerId: other })
})

t.test("a customer's list holds its own orders only, whatever it filters on, page after page", async (t) => {
  const mine = [await place(), await place()]
  await place(other)
  const customer = tb.auth(['customer'], { sub: own })
  const ids: string[] = []
  let url = '/v1/orders?limit=1'
  for (;;) {
    const page = (await tb.app.inject({ method: 'GET', url, headers: customer })).json<{ items: { id: string; customerId: string }[]; nextCursor: string | null }>()
    t.ok(page.items.every((o) => o.customerId === own), 'only its own')
    ids.push(...page.items.map((o) => o.id))
    if (page.nextCursor === null) break
    url = `/v1/orders?cursor=${page.nextCursor}`
  }
  t.ok(mine.every((id) => ids.includes(id)) && ids.includes(ownOrder), 'all its own')
  const asked = await tb.app.inject({ method: 'GET', url: `/v1/orders?customerId=${other}`, headers: customer })
  t.same(asked.json(), { items: [], nextCursor: null }, "asking for another customer's finds none")
  // A staff token that is also a customer's keeps its staff reach.
  const both = tb.auth(['customer', 'orders:read'], { sub: own })
  const all = (await tb.app.inject({ method: 'GET', url: `/v1/orders?customerId=${other}`, headers: both })).json<{ items: unknown[] }>()
  t.equal(all.items.length, 1)
})
