import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { CloudEvent } from '@orderflow/contracts'
import { eventually } from '@orderflow/testing/service'
import { orderTestbed, replies, sagaHarness, short } from './testbed.js'

// The order service as it runs, inside one process with real NATS: the API, the three reply
// consumers, the deadline sweep and the publishing after commit. The participants are played by
// the test, publishing their events into the test's namespace and reading the commands the saga
// sends from the namespace's streams.
const tb = await orderTestbed(t, { SAGA_DEADLINE_SCAN_INTERVAL_MS: '100' })
// No relay: every message below must come from the process that committed it, right after.
await tb.startWorkers({ relay: false })
const h = sagaHarness(tb)
const ops = tb.auth(['ops:dlq'])

type StreamName = 'ORDERS' | 'INVENTORY' | 'PAYMENTS' | 'FULFILLMENT'

/** The messages about `orderId` on a stream whose subject contains `part`, in stream order. */
async function messages(stream: StreamName, orderId: string, part: string): Promise<CloudEvent[]> {
  const name = tb.topology.stream(stream)
  const { state } = await tb.bus.jsm.streams.info(name)
  const found: CloudEvent[] = []
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const msg = await tb.bus.jsm.streams.getMessage(name, { seq }).catch(() => null)
    if (!msg || !msg.subject.includes(part)) continue
    const event = msg.json<CloudEvent>()
    if (event.subject === orderId) found.push(event)
  }
  return found
}

/** Waits until the order's messages on the stream are exactly `expected` (short types). */
async function until(stream: StreamName, orderId: string, part: string, expected: string[]): Promise<CloudEvent[]> {
  let last: string[] = []
  return eventually(async () => {
    const found = await messages(stream, orderId, part)
    last = found.map((e) => short(e.type))
    return JSON.stringify(last) === JSON.stringify(expected) ? found : undefined
  }, `${stream} ${part} = ${expected.join(', ')}`).catch((error: unknown) => {
    throw new Error(`${String(error)}; last seen: ${last.join(', ')}`)
  })
}

const untilStatus = (id: string, status: string) =>
  eventually(async () => {
    const order = await h.order(id)
    return order.status === status ? order : undefined
  }, `order ${id} ${status}`)

const untilSaga = (id: string, check: (saga: NonNullable<Awaited<ReturnType<typeof h.saga>>>) => boolean, what: string) =>
  eventually(async () => {
    const saga = await h.saga(id)
    return saga && check(saga) ? saga : undefined
  }, what)

/** Publishes a participant's event on its subject in the test's namespace. */
const publish = (event: CloudEvent) => tb.ctx.publisher.publish(event)

t.test('happy path over JetStream: placed, reserved, authorized, CONFIRMED, settled, shipped, DELIVERED', async (t) => {
  const shippingAddress = { name: 'Ada', line1: '1 Loop St', city: 'London', postalCode: 'N1', country: 'GB' }
  const id = await h.place({ shippingAddress })
  const [created] = await until('ORDERS', id, '.evt.', ['order.created'])
  t.notOk(JSON.stringify(created?.data).includes('tok_visa'), 'no card token on the ORDERS stream')
  const [reserve] = await until('INVENTORY', id, '.cmd.', ['inventory.reserve'])
  t.match(reserve, { source: 'orderflow/order', data: { orderId: id, items: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1 }] } })

  await publish(replies.reserved(id))
  const [authorize] = await until('PAYMENTS', id, '.cmd.', ['payment.authorize'])
  t.same(authorize?.data, { orderId: id, customerId: 'c-42', amount: 3499, currency: 'EUR', method: 'card', token: 'tok_visa' })

  await publish(replies.authorized(id))
  await untilStatus(id, 'CONFIRMED')
  await until('INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.commit'])
  await until('PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.capture'])
  const [create] = await until('FULFILLMENT', id, '.cmd.', ['fulfillment.create'])
  t.match(create?.data, { orderId: id, customerId: 'c-42', items: [{ sku: 'SKU-1', unitPrice: 1250 }, { sku: 'SKU-2' }], shippingAddress })
  await until('ORDERS', id, '.evt.', ['order.created', 'order.confirmed'])

  await publish(replies.committed(id))
  await publish(replies.captured(id))
  await untilSaga(id, (s) => s.deadlineAt === null, 'settled: nothing owed')
  await publish(replies.picking(id))
  // Two batches of one consumer may commit in either order; picking is news only before the
  // shipment leaves, so it must be in before SHIPPED is sent.
  await eventually(async () => ((await h.timeline(id)).includes('PICKING') ? true : undefined), 'PICKING on the timeline')
  await publish(replies.shipped(id))
  await untilStatus(id, 'SHIPPED')
  await publish(replies.delivered(id))
  const order = await untilStatus(id, 'DELIVERED')
  const steps = order.timeline.map((e) => e.type)
  t.same(steps.slice(0, 4), ['CREATED', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'CONFIRMED'])
  // Commit and capture are answered on two streams, to two consumers: either may come first.
  t.same(steps.slice(4, 6).sort(), ['PAYMENT_CAPTURED', 'STOCK_COMMITTED'])
  t.same(steps.slice(6), ['PICKING', 'SHIPPED', 'DELIVERED'])
  t.same((await messages('ORDERS', id, '.evt.')).map((e) => short(e.type)), ['order.created', 'order.confirmed'], 'the timeline-only steps were never published')
  const [unsent] = await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from outbox where payload->>'subject' = ? and sent_at is null`, [id])
  t.equal(Number(unsent?.n), 0, 'every message marked sent by the committing process')
})

t.test("a reply's trace continues into the commands it causes", async (t) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const id = await h.place()
  await until('INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await tb.ctx.publisher.publish(replies.reserved(id), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })
  await until('PAYMENTS', id, '.cmd.', ['payment.authorize'])
  const name = tb.topology.stream('PAYMENTS')
  const { state } = await tb.bus.jsm.streams.info(name)
  let traceparent: string | undefined
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const msg = await tb.bus.jsm.streams.getMessage(name, { seq })
    if (msg?.json<CloudEvent>().subject === id) traceparent = msg.header.get('traceparent')
  }
  t.match(traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
})

t.test('out of stock over JetStream: FAILED, OrderFailed on the ORDERS stream, no payment asked', async (t) => {
  const id = await h.place()
  await until('INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await publish(replies.rejected(id))
  const order = await untilStatus(id, 'FAILED')
  t.match(order.failure, { reason: 'OUT_OF_STOCK', message: /SKU-1/ })
  const [, failed] = await until('ORDERS', id, '.evt.', ['order.created', 'order.failed'])
  t.match(failed?.data, { reason: 'OUT_OF_STOCK' })
  t.same(await messages('PAYMENTS', id, '.cmd.'), [])
})

t.test('a cancel through the API sends ReleaseStock at once; StockReleased over JetStream ends it CANCELLED', async (t) => {
  const id = await h.place()
  await until('INVENTORY', id, '.cmd.', ['inventory.reserve'])
  t.equal((await h.cancel(id, 'changed my mind')).statusCode, 202)
  await until('INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.release'])
  await publish(replies.released(id))
  await untilStatus(id, 'CANCELLED')
  const [, cancelled] = await until('ORDERS', id, '.evt.', ['order.created', 'order.cancelled'])
  t.same(cancelled?.data, { orderId: id, reason: 'changed my mind' })
})

t.test('the deadline sweep runs with the workers: an overdue reservation is asked for again', async (t) => {
  const id = await h.place()
  await until('INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await tb.orm.em.fork().execute(`update sagas set deadline_at = now() - interval '1 second' where order_id = ?`, [id])
  const [first, again] = await until('INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.reserve'])
  t.same(again?.data, first?.data, 'the same ReserveStock, published again')
  await publish(replies.reserved(id))
  await untilSaga(id, (s) => s.state === 'AUTHORIZING', 'the answer moving it on')
})

t.test('a copy of an event (past the duplicate window) makes one transition', async (t) => {
  const id = await h.place()
  const reserved = replies.reserved(id)
  await publish(reserved)
  // A second copy under another Nats-Msg-Id, as a redelivery or a replay arrives.
  await tb.bus.js.publish(tb.topology.subject('inventory.evt.reserved'), JSON.stringify(reserved), { msgID: randomUUID() })
  await untilSaga(id, (s) => s.state === 'AUTHORIZING', 'AUTHORIZING')
  await eventually(async () => {
    const info = await tb.bus.jsm.consumers.info(tb.topology.stream('INVENTORY'), 'order-inventory')
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined
  }, 'both copies settled')
  t.same((await messages('PAYMENTS', id, '.cmd.')).map((e) => short(e.type)), ['payment.authorize'], 'one AuthorizePayment')
  t.equal((await h.saga(id))?.version, 2, 'one move after the start')
})

t.test('an event for an order without a saga is dead-lettered at once, and listed by the dead-letter API', async (t) => {
  const stranger = randomUUID()
  const event = replies.reserved(stranger)
  await publish(event)
  const dl = await eventually(async () => (await tb.ctx.deadLetters.list({ limit: 50 })).find((d) => d.eventId === event.id), 'the dead letter')
  t.match(dl, { reason: 'permanent', error: /has no saga/, origin: { consumer: 'order-inventory', deliveries: 1 } })
  const listed = await tb.app.inject({ method: 'GET', url: '/v1/dead-letters', headers: ops })
  t.equal(listed.statusCode, 200)
  t.match(listed.body, event.id)
})
