import { headers } from '@nats-io/transport-node'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, DeadLetterNotFoundError, PermanentError, REPLAY_OF_HEADER, type DeadLetterRecord, type Delivery } from '@orderflow/messaging'
import { consumerOf, countIn, deadLettersIn, eventually, messagingFixture, orderCreated, type Fixture } from './fixtures/messaging.js'

const encoder = new TextEncoder()

function record(fx: Fixture, seq: number, overrides: Partial<DeadLetterRecord> = {}): DeadLetterRecord {
  return {
    reason: 'permanent',
    origin: { subject: fx.subject(OrderCreated), stream: fx.stream, seq, consumer: fx.durable('worker'), deliveries: 1 },
    error: `Error: failure ${seq}`,
    data: encoder.encode(`body ${seq}`),
    ...overrides,
  }
}

void t.test('list pages oldest first and skips the gaps; get reads one', async (t) => {
  const fx = await messagingFixture(t)
  for (let seq = 1; seq <= 5; seq++) await fx.deadLetters.record(record(fx, seq))
  // Something that is not a dead letter (no origin headers) in the stream is passed over.
  const stray = await fx.bus.js.publish(`${fx.prefix}_dlq.stray`, 'hello')
  t.equal(await fx.deadLetters.get(stray.seq), null)
  t.equal(await fx.deadLetters.purge(3), 1, 'one purged')
  const page1 = await fx.deadLetters.list({ limit: 2 })
  t.same(page1.map((d) => d.origin.seq), [1, 2])
  const page2 = await fx.deadLetters.list({ limit: 2, afterSeq: page1.at(-1)?.seq })
  t.same(page2.map((d) => d.origin.seq), [4, 5], 'the purged one is skipped')
  t.same(await fx.deadLetters.list({ afterSeq: page2.at(-1)?.seq }), [], 'the end')
  t.equal((await fx.deadLetters.list({ limit: 0 })).length, 1, 'a limit below 1 means 1')

  const one = await fx.deadLetters.get(page2[0]!.seq)
  t.match(one, { reason: 'permanent', error: 'Error: failure 4', origin: { seq: 4, deliveries: 1 }, missing: false, eventId: undefined })
  t.equal(new TextDecoder().decode(one?.data), 'body 4')
  t.ok(one?.time instanceof Date)
  t.equal(await fx.deadLetters.get(3), null, 'purged')
  t.equal(await fx.deadLetters.get(999), null, 'never existed')
})

void t.test('the same message recorded twice is stored once, even with its original headers', async (t) => {
  const fx = await messagingFixture(t)
  const original = headers()
  original.set('Nats-Msg-Id', 'the-event-id')
  original.set('Nats-Expected-Last-Sequence', '42')
  original.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  const first = await fx.deadLetters.record(record(fx, 7, { headers: original }))
  const second = await fx.deadLetters.record(record(fx, 7, { headers: original, error: 'from the copier' }))
  t.equal(first.duplicate, false)
  t.equal(second.duplicate, true)
  t.equal(await countIn(fx.bus, fx.dlqStream), 1)
  t.match(
    await fx.registry.metrics(),
    `messaging_dead_lettered_total{consumer="${fx.durable('worker')}",reason="permanent"} 1\n`,
    'counted once, by consumer and reason',
  )
  const dl = await fx.deadLetters.get(first.seq)
  t.same(dl?.headers, {
    'Nats-Msg-Id': 'the-event-id',
    'Nats-Expected-Last-Sequence': '42',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  })
  const multiline = await fx.deadLetters.record(record(fx, 8, { error: `line one\r\nline two ${'x'.repeat(2_000)}` }))
  const long = await fx.deadLetters.get(multiline.seq)
  t.match(long?.error, /^line one line two x+…$/, 'flattened and cut')
  t.ok((long?.error.length ?? 0) <= 1_001)
})

void t.test('replay republishes to the original subject with the original event id, then removes the dead letter', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 3 })
  let refuse = true
  const handled: Delivery[] = []
  await fx.run({
    consumer: consumerOf(spec, (batch) => {
      if (refuse) return Promise.reject(new PermanentError('customer blocked'))
      handled.push(...batch)
      return Promise.resolve()
    }),
  })
  const event = orderCreated()
  const subject = fx.subject(OrderCreated)
  const published = await createPublisher(fx.bus).publish(event, { subject, headers: { 'x-request-id': 'r-1' } })
  const [dl] = await deadLettersIn(fx, 1)
  t.equal(dl?.eventId, event.id)

  refuse = false
  const replayed = await fx.deadLetters.replay(dl!.seq)
  t.match(replayed, { subject, stream: fx.stream, duplicate: false, eventId: event.id })
  t.ok(replayed.seq > published.seq, 'a new message in the original stream')
  const [got] = await eventually(() => (handled.length > 0 ? handled : undefined))
  t.same(got?.event, event, 'the consumer gets the original event, id included (the inbox deduplicates)')
  t.match(got, { subject, streamSeq: replayed.seq, deliveryCount: 1 })
  const stored = await fx.bus.jsm.streams.getMessage(fx.stream, { seq: replayed.seq })
  t.equal(stored?.header.get('x-request-id'), 'r-1', 'original headers travel with it')
  t.equal(stored?.header.get(REPLAY_OF_HEADER), `${fx.dlqStream}:${dl!.seq}`)
  t.equal(stored?.header.get('Nats-Msg-Id'), `replay:${fx.dlqStream}:${dl!.seq}`, 'a msg id of its own, so the duplicate window does not drop it')
  t.equal(await fx.deadLetters.get(dl!.seq), null, 'removed from the DLQ')
  t.equal(await countIn(fx.bus, fx.dlqStream), 0)

  const err = (await t.rejects(fx.deadLetters.replay(dl!.seq), DeadLetterNotFoundError)) as unknown
  t.match(err, { seq: dl!.seq, stream: fx.dlqStream })
})

void t.test('purge removes one or all, and the depth gauge follows', async (t) => {
  const fx = await messagingFixture(t)
  for (let seq = 1; seq <= 4; seq++) await fx.deadLetters.record(record(fx, seq))
  t.equal(await fx.deadLetters.depth(), 4)
  t.match(await fx.registry.getSingleMetricAsString('messaging_dead_letters'), new RegExp(`stream="${fx.dlqStream}"} 4`))
  t.equal(await fx.deadLetters.purge(2), 1)
  t.equal(await fx.deadLetters.purge(2), 0, 'already gone')
  t.equal(await fx.deadLetters.purge(), 3)
  t.equal(await fx.deadLetters.depth(), 0)
  fx.deadLetters.close()
  t.notMatch(await fx.registry.getSingleMetricAsString('messaging_dead_letters'), fx.dlqStream, 'no longer reported once closed')
})

void t.test('operations on a dead-letter stream that does not exist fail', async (t) => {
  const fx = await messagingFixture(t)
  await fx.bus.jsm.streams.delete(fx.dlqStream)
  await t.rejects(fx.deadLetters.get(1), { name: 'StreamNotFoundError' })
  await t.rejects(fx.deadLetters.purge(1), { name: 'StreamNotFoundError' })
  await t.rejects(fx.deadLetters.record(record(fx, 1)))
  t.notMatch(await fx.registry.getSingleMetricAsString('messaging_dead_letters'), fx.dlqStream, 'an unknown depth is left out')
})
