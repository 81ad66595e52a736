import t from 'tap'
import { makeEvent, OrderConfirmed } from '@orderflow/contracts'
import { connectBus, createDeadLetters, createTopology, provision } from '@orderflow/messaging'
import { connectTestNats, deleteStreamsAfter, randomNamespace, TEST_NATS_URL } from '@orderflow/testing'
import { pino } from 'pino'
import { main } from '@orderflow/cli'

const namespace = randomNamespace()
const topology = createTopology(namespace)
deleteStreamsAfter(t, await connectTestNats(t), ...topology.streams().map((s) => s.name))
const bus = await connectBus({ servers: TEST_NATS_URL, name: 'cli-test', logger: pino({ level: 'silent' }) })
t.teardown(() => bus.close())
await provision(bus.jsm, { streams: topology.streams() })
const deadLetters = createDeadLetters(bus, topology.deadLetters)
t.teardown(() => deadLetters.close())
const env = { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: namespace }

const run = async (...argv: string[]) => {
  const out: string[] = []
  const code = await main(argv, env, (s) => out.push(s))
  return { code, out: out.join('\n') }
}

async function deadLetter(): Promise<{ seq: number; eventId: string; subject: string }> {
  const orderId = '0b6f3c1e-2c1b-4f7c-9a3e-1f2d3c4b5a69'
  const event = makeEvent(OrderConfirmed, { source: 'test', subject: orderId, data: { orderId } })
  const subject = topology.subject(OrderConfirmed.subject)
  const ack = await bus.js.publish(subject, JSON.stringify(event), { msgID: event.id })
  const { seq } = await deadLetters.record({
    reason: 'max_deliveries',
    origin: { subject, stream: ack.stream, seq: ack.seq, consumer: 'order-saga', deliveries: 5 },
    error: 'Error: database unavailable',
    data: new TextEncoder().encode(JSON.stringify(event)),
  })
  return { seq, eventId: event.id, subject }
}

t.test('list, show, replay and purge through the CLI', async (t) => {
  t.match(await run('dlq', 'list'), { code: 0, out: 'no dead letters' })
  const a = await deadLetter()
  const b = await deadLetter()
  const list = await run('dlq', 'list')
  t.equal(list.code, 0)
  t.match(list.out, new RegExp(`^${a.seq}\\t.*\\tmax_deliveries\\torder-saga\\t${a.subject.replaceAll('.', '\\.')}\\tError: database unavailable`, 'm'))
  const listed = JSON.parse((await run('dlq', 'list', '--json')).out) as { seq: number }[]
  t.same(listed.map((d) => d.seq), [a.seq, b.seq])

  const show = await run('dlq', 'show', String(a.seq))
  t.match(JSON.parse(show.out), { seq: a.seq, eventId: a.eventId, body: { id: a.eventId }, origin: { deliveries: 5 } })

  const replay = await run('dlq', 'replay', String(a.seq))
  t.match(replay, { code: 0, out: new RegExp(`replayed ${a.seq} to ${a.subject.replaceAll('.', '\\.')}`) })
  t.match(await run('dlq', 'purge', String(b.seq)), { code: 0, out: 'purged 1 dead letter' })
  await deadLetter()
  t.match(await run('dlq', 'purge', '--all'), { code: 0, out: /purged 1 dead letter/ })
})

t.test('errors: unknown seq, bad seq, missing seq, unknown action', async (t) => {
  t.match(await run('dlq', 'show', '424242'), { code: 1, out: /no dead letter 424242/ })
  t.match(await run('dlq', 'replay', '424242'), { code: 1, out: /no dead letter 424242/ })
  t.match(await run('dlq', 'purge', '424242'), { code: 1, out: /no dead letter 424242/ })
  t.match(await run('dlq', 'show', 'abc'), { code: 2, out: /SEQ must be a positive whole number/ })
  t.match(await run('dlq', 'replay'), { code: 2, out: /which dead letter/ })
  t.match(await run('dlq', 'explode'), { code: 2, out: /unknown action explode/ })
  t.match(await run('dlq'), { code: 2, out: /usage: orderflow dlq/ })
})
