import t from 'tap'
import type { StoredMsg } from '@nats-io/jetstream'
import { checkEvent, OrderCreated } from '@orderflow/contracts'
import { initTracing } from '@orderflow/telemetry'
import { orderBody, orderTestbed } from './testbed.js'
import { eventually } from '@orderflow/testing/service'
import { insertPlacedOrders } from '../src/repositories/place-order.sql.js'
import { placeOrder, type PricedOrder } from '../src/use-cases/place-order.js'

// The SDK makes spans real, so the request's trace id can be followed into JetStream.
const tracing = initTracing({ serviceName: 'order-test' })
t.teardown(() => tracing.shutdown())

const tb = await orderTestbed(t)
const ordersStream = tb.topology.stream('ORDERS')
const writer = tb.auth(['orders:write'])

async function place(headers: Record<string, string> = {}): Promise<string> {
  const res = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...writer, ...headers }, payload: orderBody() })
  if (res.statusCode !== 202) throw new Error(res.body)
  return res.json<{ id: string }>().id
}

/** Every order.created in the namespace's ORDERS stream, by order id (read by sequence). */
async function createdEvents(): Promise<Map<string, StoredMsg>> {
  const byOrder = new Map<string, StoredMsg>()
  const { state } = await tb.bus.jsm.streams.info(ordersStream)
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await tb.bus.jsm.streams.getMessage(ordersStream, { seq })
    if (m?.subject === tb.topology.subject(OrderCreated.subject)) byOrder.set(m.json<{ subject: string }>().subject, m)
  }
  return byOrder
}
const countCreated = async () => (await tb.bus.jsm.streams.info(ordersStream)).state.messages

t.test("each order's messages are published right after its commit, by the process that committed it (no relay)", async (t) => {
  const ids = [await place(), await place(), await place()]
  await eventually(async () => ((await countCreated()) === 3 ? true : undefined), 'three order.created')
  t.same([...(await createdEvents()).keys()].sort(), [...ids].sort())
  const inventory = tb.topology.stream('INVENTORY')
  await eventually(async () => ((await tb.bus.jsm.streams.info(inventory)).state.messages === 3 ? true : undefined), 'three ReserveStock')
  await eventually(async () => {
    const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from outbox where sent_at is null')
    return Number(row?.n) === 0 ? true : undefined
  }, 'every row marked sent')
})

t.test('a committed order whose messages were never published (a crash) is swept by the relay', async (t) => {
  const before = await countCreated()
  // Committed as intake commits it, and then the process died before publishing.
  const placed = placeOrder(orderBody() as unknown as PricedOrder, 'crasher', { stepTimeoutMs: 10_000, giveUpAfterMs: 300_000 })
  await insertPlacedOrders(tb.ctx.db, [{ placed }])
  await tb.orm.em.fork().execute(`update outbox set created_at = now() - interval '1 minute' where payload->>'subject' = ?`, [placed.order.id])
  await new Promise((r) => setTimeout(r, 400))
  t.equal(await countCreated(), before, 'nobody publishes it without a relay')

  await tb.startWorkers()
  const msg = await eventually(async () => (await createdEvents()).get(placed.order.id), 'the relay publishes it')
  t.equal(msg.header.get('Nats-Msg-Id'), placed.outbox[0]?.id)
  await eventually(async () => {
    const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from outbox where sent_at is null')
    return Number(row?.n) === 0 ? true : undefined
  }, 'both of its rows marked sent')
})

t.test('each created order yields exactly one valid order.created with Nats-Msg-Id = event id', async (t) => {
  const before = await countCreated()
  const ids: string[] = []
  for (let i = 0; i < 25; i++) ids.push(await place())
  await eventually(async () => ((await countCreated()) >= before + 25 ? true : undefined), '25 more events')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(await countCreated(), before + 25, 'no extra copies')
  const events = await createdEvents()
  for (const id of ids) {
    const msg = events.get(id)
    if (!msg) {
      t.fail(`no event for ${id}`)
      continue
    }
    const check = checkEvent(msg.json())
    t.ok(check.ok, 'a valid envelope and data')
    if (check.ok) {
      t.equal(msg.header.get('Nats-Msg-Id'), check.event.id)
      t.equal(check.event.type, OrderCreated.type)
      t.match(check.event.data, { orderId: id })
    }
  }
  const [pending] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from outbox where sent_at is null')
  t.equal(Number(pending?.n), 0, 'every row marked sent')
})

t.test("the request's trace continues in the event's traceparent", async (t) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  const id = await place({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` })
  const msg = await eventually(async () => (await createdEvents()).get(id), 'the event')
  t.match(msg.header.get('traceparent'), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
  const [saga] = await tb.orm.em.fork().execute<{ trace_parent: string | null }[]>('select trace_parent from sagas where order_id = ?', [id])
  t.match(saga?.trace_parent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the saga keeps the trace, for what its deadlines re-send')
})
