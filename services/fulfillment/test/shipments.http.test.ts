import { randomUUID } from 'node:crypto'
import t from 'tap'
import { advanceDueShipments } from '../src/use-cases/advance-shipments.js'
import { cancelShipments, createShipments, fulfillmentTestbed } from './testbed.js'

const tb = await fulfillmentTestbed(t)
const reader = tb.auth(['orders:read'])
const schedule = { shipAfterMs: 0, deliverAfterMs: 60_000 }

const get = (orderId: string, headers: Record<string, string> = reader) => tb.app.inject({ method: 'GET', url: `/v1/shipments/${orderId}`, headers })
const create = (orderId: string) => createShipments(tb, [orderId], schedule)

t.test('200: a shipment being picked, then shipped with its carrier and tracking number', async (t) => {
  const orderId = randomUUID()
  await create(orderId)
  const picking = await get(orderId)
  t.equal(picking.statusCode, 200)
  const body = picking.json<Record<string, unknown>>()
  t.match(body, {
    orderId,
    shipmentId: /^[0-9a-f-]{36}$/,
    status: 'PICKING',
    items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }, { sku: 'SKU-2' }],
    shippingAddress: { city: 'London', country: 'GB' },
    nextStepAt: String,
  })
  t.notOk('carrier' in body, 'no carrier before it ships')

  await advanceDueShipments(tb.ctx, schedule, 1_000)
  const shipped = (await get(orderId)).json<Record<string, unknown>>()
  t.match(shipped, { status: 'SHIPPED', carrier: /^[A-Z]+$/, trackingNumber: /^[A-Z]+\d{15}$/, nextStepAt: String })
})

t.test('200: a cancel that came before the create is a CANCELLED shipment without items', async (t) => {
  const orderId = randomUUID()
  await cancelShipments(tb, [orderId])
  const res = await get(orderId)
  t.equal(res.statusCode, 200)
  const body = res.json<Record<string, unknown>>()
  t.match(body, { orderId, status: 'CANCELLED', items: [] })
  t.notOk('nextStepAt' in body, 'nothing more is scheduled')
})

t.test('404 problem for an order without a shipment', async (t) => {
  const orderId = randomUUID()
  const res = await get(orderId)
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(res.json(), { status: 404, code: 'SHIPMENT_NOT_FOUND', orderId, detail: new RegExp(orderId) })
})

t.test('400 for a malformed order id', async (t) => {
  const res = await get('not-a-uuid')
  t.equal(res.statusCode, 400)
  t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ field: 'params.orderId' }] })
})

t.test('401 without a token, 403 without orders:read', async (t) => {
  const orderId = randomUUID()
  await create(orderId)
  const none = await get(orderId, {})
  t.equal(none.statusCode, 401)
  t.match(none.json(), { code: 'UNAUTHORIZED' })
  const wrongRole = await get(orderId, tb.auth(['orders:write']))
  t.equal(wrongRole.statusCode, 403)
  t.match(wrongRole.json(), { code: 'FORBIDDEN', missingRoles: ['orders:read'] })
})

t.test('the OpenAPI document lists the route with its role', async (t) => {
  const doc = (await tb.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: unknown }>> }>()
  t.match(doc.paths['/v1/shipments/{orderId}']?.get?.security, [{ bearerAuth: ['orders:read'] }])
})
