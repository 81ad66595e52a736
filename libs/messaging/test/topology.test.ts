import t from 'tap'
import { OrderCreated, Streams } from '@orderflow/contracts'
import { connectTestNats, deleteStreamsAfter, uniqueName } from '@orderflow/testing'
import { connectBus, createTopology, provision, SpecError } from '@orderflow/messaging'
import { captureLogger } from './fixtures/messaging.js'

void t.test('the default namespace is the platform as the contracts name it', (t) => {
  const top = createTopology()
  t.equal(top.stream('ORDERS'), 'ORDERS')
  t.equal(top.subject(OrderCreated.subject), 'order.evt.created')
  t.same(top.deadLetters, {
    stream: 'DLQ',
    subjectPrefix: 'dlq',
    advisoryStream: 'DLQ_ADVISORIES',
    watchedStreams: Object.values(Streams).map((s) => s.name),
  })
  t.end()
})

void t.test('a namespace prefixes streams, subjects and consumers but not durable names', (t) => {
  const top = createTopology('blue')
  t.equal(top.stream('ORDERS'), 'BLUE_ORDERS')
  t.equal(top.subject('order.evt.>'), 'blue.order.evt.>')
  t.same(top.consumer({ stream: 'ORDERS', durable: 'order-saga', filterSubjects: ['order.evt.saga.>'] }), {
    stream: 'BLUE_ORDERS',
    durable: 'order-saga',
    filterSubjects: ['blue.order.evt.saga.>'],
  })
  const names = top.streams(1).map((s) => s.name)
  t.ok(names.every((n) => n.startsWith('BLUE_')), names.join(', '))
  t.ok(top.streams().every((s) => s.subjects.every((subj) => subj.startsWith('blue.') || subj.includes('.BLUE_'))))
  t.end()
})

void t.test('a namespace must be a short lower-case word', (t) => {
  for (const bad of ['Blue', '1st', 'a.b', 'with-dash', 'x'.repeat(17)]) t.throws(() => createTopology(bad), SpecError, bad)
  t.end()
})

void t.test('two namespaces provision side by side on one server', async (t) => {
  const nc = await connectTestNats(t)
  const a = createTopology(uniqueName('a', { lower: true }).replace('_', ''))
  const b = createTopology(uniqueName('b', { lower: true }).replace('_', ''))
  deleteStreamsAfter(t, nc, ...a.streams().map((s) => s.name), ...b.streams().map((s) => s.name))
  const bus = await connectBus({ servers: 'nats://127.0.0.1:4222', name: 'topology-test', logger: captureLogger().logger })
  t.teardown(() => bus.close())
  const first = await provision(bus.jsm, { streams: a.streams() })
  const second = await provision(bus.jsm, { streams: b.streams() })
  t.ok([...first.streams, ...second.streams].every((s) => s.action === 'created'), 'no subject overlaps between them')
  const ack = await bus.js.publish(a.subject(OrderCreated.subject), '{}')
  t.equal(ack.stream, a.stream('ORDERS'), "a's subject lands in a's stream only")
})
