import { randomBytes } from 'node:crypto'
import t from 'tap'
import { pino } from 'pino'
import { Streams } from '@orderflow/contracts'
import { connectBus, createTopology, provision, type Bus, type Topology } from '@orderflow/messaging'
import { busPerOrder, readDeliveryCounters } from '@orderflow/bench'

// The server every test uses (see @orderflow/testing); this package does not depend on it.
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

/** The orders stream of a namespace of this test's own, with one durable consumer; removed at the end. */
async function ordersStreamWithConsumer(t: { teardown(fn: () => unknown): void }, jsm: Bus['jsm'], durable: string): Promise<{ topology: Topology; stream: string }> {
  const topology = createTopology(`b${randomBytes(5).toString('hex')}`)
  const stream = topology.stream(Streams.ORDERS.name)
  const spec = topology.streams().find((s) => s.name === stream)
  if (!spec) throw new Error(`no ${stream} in the topology`)
  t.teardown(() => jsm.streams.delete(stream).catch(() => {}))
  await provision(jsm, {
    streams: [spec],
    consumers: [topology.consumer({ stream: Streams.ORDERS.name, durable, filterSubjects: [], ackWaitMs: 30_000, maxDeliver: 5, backoffMs: [50] })],
  })
  return { topology, stream }
}

async function publish(bus: Bus, subject: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await bus.js.publish(subject, JSON.stringify({ i }))
}

/** Fetches up to `n` messages of the consumer and acks (or naks) each; returns how many came. */
async function consume(bus: Bus, stream: string, durable: string, n: number, answer: 'ack' | 'nak' = 'ack'): Promise<number> {
  const consumer = await bus.js.consumers.get(stream, durable)
  let seen = 0
  while (seen < n) {
    const batch = await consumer.fetch({ max_messages: n - seen, expires: 2_000 })
    let got = 0
    for await (const m of batch) {
      if (answer === 'ack') await m.ackAck()
      else m.nak()
      got++
    }
    if (got === 0) break
    seen += got
  }
  return seen
}

t.test('deliveries and publications of the namespace: N published, N consumed and acked → N each; a redelivery counts', async (t) => {
  const bus = await connectBus({ servers: NATS_URL, name: 'orderflow-bench-test', logger: pino({ level: 'silent' }) })
  t.teardown(() => bus.close())
  const durable = 'bench-counted'
  const { topology, stream } = await ordersStreamWithConsumer(t, bus.jsm, durable)
  // Another namespace on the same server, busy at the same time: none of its work may count.
  const other = await ordersStreamWithConsumer(t, bus.jsm, 'bench-other')
  const subject = topology.subject('order.evt.created')
  const N = 25

  const before = await readDeliveryCounters(bus.jsm, topology)
  t.same(before.deliveredByConsumer, { [`${stream}/${durable}`]: 0 }, 'the consumer is found by listing, the other namespace is not')
  t.same(Object.keys(before.publishedByStream), [stream], 'published is read from the domain streams that exist')

  await publish(bus, subject, N)
  await publish(bus, other.topology.subject('order.evt.created'), 7)
  t.equal(await consume(bus, other.stream, 'bench-other', 7), 7)
  t.equal(await consume(bus, stream, durable, N), N, 'N consumed')
  const afterN = await readDeliveryCounters(bus.jsm, topology)
  t.equal((afterN.deliveredByConsumer[`${stream}/${durable}`] ?? 0) - (before.deliveredByConsumer[`${stream}/${durable}`] ?? 0), N, 'delivered.consumer_seq rose by N')
  t.same(busPerOrder(before, afterN, N), { deliveries: { total: 1, byConsumer: { [`${stream}/${durable}`]: 1 } }, published: { total: 1, byStream: { [stream]: 1 } } })

  // One more message, refused once: two deliveries for one publication.
  await publish(bus, subject, 1)
  t.equal(await consume(bus, stream, durable, 1, 'nak'), 1)
  t.equal(await consume(bus, stream, durable, 1), 1, 'the refused message came again')
  const after = await readDeliveryCounters(bus.jsm, topology)
  const costs = busPerOrder(before, after, N)
  t.equal(costs.deliveries?.total, (N + 2) / N, 'deliveries include the redelivery')
  t.equal(costs.published?.total, (N + 1) / N, 'published counts each message once')
  t.same(busPerOrder(undefined, after, N), { deliveries: null, published: null }, 'no figure without both readings')
})
