import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ReserveStock } from '@orderflow/contracts'
import { command, handle, inventoryConsumers, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const { reserve: reserver } = inventoryConsumers(tb)
const reserve = (orderId: string, items: { sku: string; quantity: number }[]) => handle(tb, reserver, [command(ReserveStock, orderId, { orderId, items })])
const reader = tb.auth(['inventory:read'])
const get = (orderId: string, headers: Record<string, string> = reader) =>
  tb.app.inject({ method: 'GET', url: `/v1/inventory/reservations?orderId=${orderId}`, headers })

t.test("GET /v1/inventory/reservations shows an order's verdict and lines", async (t) => {
  const [a, b] = [sku('A'), sku('B')]
  await tb.seed(a, 5)
  await tb.seed(b, 5)
  const orderId = randomUUID()
  await reserve(orderId, [{ sku: b, quantity: 1 }, { sku: a, quantity: 2 }])
  const res = await get(orderId)
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    orderId,
    status: 'RESERVED',
    expiresAt: /^\d{4}-/,
    items: [
      { sku: a, quantity: 2, status: 'RESERVED' },
      { sku: b, quantity: 1, status: 'RESERVED' },
    ],
  })
})

t.test('a rejected order shows why, with no lines', async (t) => {
  const a = sku('A')
  await tb.seed(a, 1)
  const orderId = randomUUID()
  await reserve(orderId, [{ sku: a, quantity: 3 }])
  const body = (await get(orderId)).json<Record<string, unknown>>()
  t.match(body, { status: 'REJECTED', rejection: { reason: 'OUT_OF_STOCK', unavailable: [{ sku: a, requested: 3, available: 1 }] }, items: [] })
  t.notOk('expiresAt' in body)
})

t.test('errors: 404 unknown order, 400 missing or malformed orderId, 401 without a token', async (t) => {
  const unknown = randomUUID()
  const missing = await get(unknown)
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'RESERVATION_NOT_FOUND', orderId: unknown })
  t.match((await get('not-a-uuid')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  const noQuery = await tb.app.inject({ method: 'GET', url: '/v1/inventory/reservations', headers: reader })
  t.equal(noQuery.statusCode, 400)
  t.equal((await get(unknown, {})).statusCode, 401)
})
