import { randomUUID } from 'node:crypto'
import t from 'tap'
import { OrderConfirmed, ShipmentShipped, type CloudEvent } from '@orderflow/contracts'
import { handleBatch } from '@orderflow/testing/service'
import { sagaConsumer, shipmentsConsumer } from '../src/consumers/consumers.js'
import { notifyConsumer } from '../src/consumers/notify.consumer.js'
import { recipientConsumer, type OrderCreatedEvent } from '../src/consumers/recipient.consumer.js'
import { eventOf, notificationTestbed, orderCreated, quietLogger } from './testbed.js'

const tb = await notificationTestbed(t)
const reader = tb.auth(['orders:read'])
const list = (query: string, headers: Record<string, string> = reader) => tb.app.inject({ method: 'GET', url: `/v1/notifications${query}`, headers })

/** Records the order's recipient and the notifications of its saga and shipment events, through the consumers (no mail is sent: no sender runs). */
async function seed(orderId: string, saga: CloudEvent[], shipments: CloudEvent[]): Promise<void> {
  await handleBatch(tb.ctx, recipientConsumer({ logger: quietLogger }), [orderCreated(orderId, 'ada@example.com') as OrderCreatedEvent])
  await handleBatch(tb.ctx, notifyConsumer(sagaConsumer, { logger: quietLogger }), saga)
  await handleBatch(tb.ctx, notifyConsumer(shipmentsConsumer, { logger: quietLogger }), shipments)
}

t.test("200: an order's notifications oldest first, with their delivery status", async (t) => {
  const orderId = randomUUID()
  await seed(orderId, [eventOf(OrderConfirmed, orderId)], [eventOf(ShipmentShipped, orderId, { shipmentId: randomUUID(), carrier: 'UPS', trackingNumber: 'UPS000000000000042' })])
  await tb.orm.em.fork().execute(
    `update notifications set status = 'SENT', sent_at = now(), attempts = 1, next_attempt_at = null where order_id = ? and kind = 'ORDER_CONFIRMED'`,
    [orderId],
  )
  await tb.orm.em.fork().execute(
    `update notifications set status = 'FAILED', attempts = 2, last_error = '451 busy', created_at = created_at + interval '1 second'
     where order_id = ? and kind = 'SHIPMENT_SHIPPED'`,
    [orderId],
  )
  const res = await list(`?orderId=${orderId}`)
  t.equal(res.statusCode, 200)
  const { items } = res.json<{ items: Record<string, unknown>[] }>()
  t.match(items, [
    { orderId, kind: 'ORDER_CONFIRMED', status: 'SENT', attempts: 1, recipient: 'ada@example.com', sentAt: String, subject: /is confirmed/ },
    { orderId, kind: 'SHIPMENT_SHIPPED', status: 'FAILED', attempts: 2, lastError: '451 busy', body: /UPS000000000000042/ },
  ])
  t.notOk('sentAt' in (items[1] ?? {}), 'no sentAt before it is sent')
  t.notOk('html' in (items[0] ?? {}), 'the HTML alternative stays inside')
})

t.test('200 with no items for an order nobody was told about', async (t) => {
  const res = await list(`?orderId=${randomUUID()}`)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { items: [] })
})

t.test('400 without an orderId, with a malformed one, or with unknown parameters', async (t) => {
  for (const [query, field] of [
    ['', /orderId/],
    ['?orderId=nope', /querystring\.orderId/],
    [`?orderId=${randomUUID()}&status=SENT`, /querystring/],
  ] as const) {
    const res = await list(query)
    t.equal(res.statusCode, 400, query || 'no query')
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const problem = res.json<{ code: string; errors: { field: string; message: string }[] }>()
    t.equal(problem.code, 'VALIDATION_FAILED')
    t.ok(problem.errors.some((e) => field.test(`${e.field} ${e.message}`)), JSON.stringify(problem.errors))
  }
})

t.test('401 without a token, 403 without orders:read', async (t) => {
  const query = `?orderId=${randomUUID()}`
  const none = await list(query, {})
  t.equal(none.statusCode, 401)
  t.match(none.json(), { code: 'UNAUTHORIZED' })
  const forbidden = await list(query, tb.auth(['reports:read']))
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.json(), { code: 'FORBIDDEN', missingRoles: ['orders:read'] })
})

t.test('the OpenAPI document lists the route with its role', async (t) => {
  const doc = (await tb.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: unknown }>> }>()
  t.match(doc.paths['/v1/notifications']?.get?.security, [{ bearerAuth: ['orders:read'] }])
})
