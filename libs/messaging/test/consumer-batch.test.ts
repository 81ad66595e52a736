import { setTimeout as sleep } from 'node:timers/promises'
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { isEventOf, makeEvent, OrderConfirmed, OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, PermanentError, type Delivery } from '@orderflow/messaging'
import { consumerOf, deadLettersIn, eventually, messagingFixture, orderCreated, publishOrders, settled } from './fixtures/messaging.js'

const spans = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
const tracer = trace.getTracer('consumer-batch-test')

const ids = (batch: readonly Delivery[]) => batch.map((d) => d.event.id)

void t.test('a backlog is handled several events at a time, each batch in one transaction, and every event is acked once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 64 })
  const events = await publishOrders(fx, 40)
  const handled: string[][] = []
  await fx.run({
    concurrency: 1,
    maxBatch: 16,
    consumer: consumerOf(spec, async (batch, tx) => {
      handled.push(ids(batch))
      for (const d of batch) tx.write(d.event.id)
      await sleep(20)
    }),
  })
  await settled(fx, spec.durable)
  const sizes = handled.map((b) => b.length)
  t.same(
    fx.store.transactions.map((x) => x.eventIds),
    handled,
    'one transaction per batch, opened for exactly the events handed to handle()',
  )
  t.ok(fx.store.transactions.every((x) => x.outcome === 'committed' && x.consumer === spec.durable))
  t.ok(sizes.every((n) => n >= 1 && n <= 16), `batches of at most 16 (${sizes.join(', ')})`)
  t.ok(sizes.some((n) => n >= 2), 'some batches hold several events')
  t.ok(handled.length <= 40 / 2, `the backlog went through in few transactions (${handled.length})`)
  t.same(handled.flat(), events.map((e) => e.id), 'each event handled exactly once, in stream order')
  t.same(fx.store.committed, events.map((e) => e.id))
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0)
  t.equal(info.ack_floor.stream_seq, 40)
  const several = sizes.filter((n) => n > 1).length
  t.match(
    await fx.registry.getSingleMetricAsString('messaging_consumer_batch_size'),
    new RegExp(`messaging_consumer_batch_size_count\\{consumer="${spec.durable}"\\} ${several}`),
  )
})

void t.test('a quiet consumer handles each event as it comes, promptly, as a batch of one', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const handledAt = new Map<string, number>()
  await fx.run({
    consumer: consumerOf(spec, (batch) => {
      for (const d of batch) handledAt.set(d.event.id, performance.now())
      return Promise.resolve()
    }),
  })
  await sleep(300) // idle first: the pull is open and waiting
  const latencies: number[] = []
  for (let i = 0; i < 5; i++) {
    // Each published once the previous one was handled, so no read of the socket can hold two.
    const sentAt = performance.now()
    const [event] = await publishOrders(fx, 1)
    const at = await eventually(() => handledAt.get(event!.id), 5_000, 'the event handled')
    latencies.push(at - sentAt)
    await sleep(100)
  }
  const median = [...latencies].sort((a, b) => a - b)[2]!
  t.ok(median < 200, `handled ${median.toFixed(1)} ms after the publish (median; all: ${latencies.map((l) => l.toFixed(0)).join(', ')})`)
  t.same(fx.store.transactions.map((x) => x.eventIds.length), [1, 1, 1, 1, 1])
})

void t.test('with a linger, events that trickle in share a batch, and a lone event still goes once the linger is over', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 64 })
  const handled: Array<{ ids: string[]; at: number }> = []
  await fx.run({
    lingerMs: 150,
    consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push({ ids: ids(batch), at: performance.now() }))),
  })
  await sleep(300) // idle first: the pull is open and waiting
  // Five events 20 ms apart: without a linger each would be a batch of its own (the test above).
  const sentAt = performance.now()
  const trickled: string[] = []
  for (let i = 0; i < 5; i++) {
    trickled.push(...(await publishOrders(fx, 1)).map((e) => e.id))
    await sleep(20)
  }
  await eventually(() => (handled.flatMap((b) => b.ids).length === 5 ? true : undefined), 5_000, 'the five handled')
  t.same(handled.map((b) => b.ids), [trickled], 'one batch for the five')
  const waited = handled[0]!.at - sentAt
  t.ok(waited >= 140 && waited < 1_000, `the batch started after the linger (${waited.toFixed(0)} ms after the first publish)`)

  const loneAt = performance.now()
  const [lone] = await publishOrders(fx, 1)
  await eventually(() => (handled.length === 2 ? true : undefined), 5_000, 'the lone event handled')
  t.same(handled[1]!.ids, [lone!.id])
  const loneWaited = handled[1]!.at - loneAt
  t.ok(loneWaited >= 140 && loneWaited < 1_000, `the lone event waited out the linger only (${loneWaited.toFixed(0)} ms)`)
})

void t.test('with a linger, a full batch does not wait', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 64 })
  const events = await publishOrders(fx, 8)
  const handled: Array<{ ids: string[]; at: number }> = []
  const startedAt = performance.now()
  await fx.run({
    concurrency: 1,
    maxBatch: 4,
    lingerMs: 5_000,
    consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push({ ids: ids(batch), at: performance.now() }))),
  })
  await eventually(() => (handled.flatMap((b) => b.ids).length === 8 ? true : undefined), 4_000, 'the backlog handled before the linger is over')
  t.same(handled.map((b) => b.ids), [events.slice(0, 4).map((e) => e.id), events.slice(4).map((e) => e.id)], 'two full batches')
  t.ok(handled[1]!.at - startedAt < 4_000, 'neither waited for the linger')
})

void t.test('a linger that is negative or not a number is refused at start', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  await t.rejects(fx.run({ lingerMs: -1, consumer: consumerOf(spec, () => Promise.resolve()) }), /lingerMs must be a finite number, 0 or more/)
  await t.rejects(fx.run({ lingerMs: Number.NaN, consumer: consumerOf(spec, () => Promise.resolve()) }), /lingerMs must be a finite number/)
})

void t.test('a failed batch is handled again one event at a time: the culprit is dead-lettered, its neighbours commit once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20, maxDeliver: 3 })
  const events = await publishOrders(fx, 6)
  const poison = events[2]!.id
  await fx.run({
    concurrency: 1,
    maxBatch: 10,
    consumer: consumerOf(spec, (batch, tx) => {
      for (const d of batch) tx.write(d.event.id)
      return batch.some((d) => d.event.id === poison) ? Promise.reject(new PermanentError('this one cannot be handled')) : Promise.resolve()
    }),
  })
  await settled(fx, spec.durable)
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, { reason: 'permanent', eventId: poison, origin: { deliveries: 1 } }, 'the culprit is dead-lettered on its first delivery')
  t.equal((await fx.deadLetters.list()).length, 1, 'its neighbours were not dead-lettered')
  t.same(fx.store.committed, events.map((e) => e.id).filter((id) => id !== poison), 'each neighbour committed once, in order')
  const failed = fx.store.transactions.filter((x) => x.outcome === 'rolled back')
  t.ok(failed[0]!.eventIds.length > 1, `the batch (${failed[0]!.eventIds.length} events) rolled back`)
  t.same(failed.slice(1).map((x) => x.eventIds), [[poison]], 'then only the culprit, alone, failed again')
  // Messages that arrived after the failed batch may form a batch of their own (a loaded machine
  // delivers in several reads); the failed batch's events are each handled alone.
  const inFailed = new Set(failed[0]!.eventIds)
  const later = fx.store.transactions.slice(fx.store.transactions.indexOf(failed[0]!) + 1)
  t.ok(later.filter((x) => x.eventIds.some((id) => inFailed.has(id))).every((x) => x.eventIds.length === 1), "after the failed batch, one of its events per transaction")
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0, 'the fallback spent no delivery')
})

void t.test('in a failed batch only the event that keeps failing is retried, with the backoff, then dead-lettered', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20, maxDeliver: 3, backoffMs: [100] })
  const events = await publishOrders(fx, 5)
  const poison = events[1]!.id
  const seen: Array<{ id: string; delivery: number }> = []
  await fx.run({
    concurrency: 1,
    maxBatch: 10,
    consumer: consumerOf(spec, (batch, tx) => {
      for (const d of batch) {
        seen.push({ id: d.event.id, delivery: d.deliveryCount })
        tx.write(d.event.id)
      }
      return batch.some((d) => d.event.id === poison) ? Promise.reject(new Error('deadlock, say')) : Promise.resolve()
    }),
  })
  const [dl] = await deadLettersIn(fx, 1)
  await settled(fx, spec.durable)
  t.match(dl, { reason: 'max_deliveries', eventId: poison, origin: { deliveries: 3 }, error: 'Error: deadlock, say' })
  t.same(fx.store.committed, events.map((e) => e.id).filter((id) => id !== poison), 'each neighbour committed once')
  t.ok(seen.filter((s) => s.id !== poison).every((s) => s.delivery === 1), 'no neighbour was delivered again')
  t.same([...new Set(seen.filter((s) => s.id === poison).map((s) => s.delivery))], [1, 2, 3], 'the culprit was delivered three times')
  t.match(await fx.registry.metrics(), new RegExp(`consumer="${spec.durable}",outcome="retried"} 2`))
  t.match(await fx.registry.metrics(), new RegExp(`consumer="${spec.durable}",outcome="acked"} 4`))
})

void t.test('invalid messages in a batch are dead-lettered alone; the valid ones still go as a batch', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20 })
  const subject = fx.subject(OrderCreated)
  await fx.bus.js.publish(subject, 'not json at all')
  const events = await publishOrders(fx, 4)
  const handled: string[][] = []
  await fx.run({ concurrency: 1, maxBatch: 10, consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push(ids(batch)))) })
  await settled(fx, spec.durable)
  const list = await fx.deadLetters.list()
  t.equal(list.length, 1)
  t.match(list[0], { reason: 'invalid', origin: { seq: 1, deliveries: 1 }, error: /^body is not JSON/ })
  t.same(handled.flat(), events.map((e) => e.id), 'every valid event handled once')
  t.same(fx.store.transactions.map((x) => x.eventIds), handled, 'the invalid one is in no transaction')
})

void t.test('a message the consumer does not accept is dead-lettered as invalid at once; the rest are handled', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20, maxDeliver: 5 })
  const orderId = orderCreated().subject
  const confirmed = makeEvent(OrderConfirmed, { source: 'orderflow/test', subject: orderId, data: { orderId } })
  const created = await publishOrders(fx, 2)
  await createPublisher(fx.bus).publish(confirmed, { subject: fx.subject(OrderConfirmed) })
  const more = await publishOrders(fx, 2)
  const handled: string[] = []
  await fx.run({
    concurrency: 1,
    maxBatch: 10,
    consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push(...ids(batch))), (e) => isEventOf(OrderCreated, e)),
  })
  await settled(fx, spec.durable)
  const [dl] = await fx.deadLetters.list()
  t.match(dl, {
    reason: 'invalid',
    eventId: confirmed.id,
    error: `${spec.durable} does not handle ${OrderConfirmed.type}`,
    origin: { seq: 3, deliveries: 1 },
  })
  t.same(handled, [...created, ...more].map((e) => e.id), 'the consumer never saw it; its neighbours were handled')
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0, 'no retry was spent on it')
})

void t.test('an event id repeated in one batch is handed to the consumer once, and both messages are acked', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20 })
  const [first] = await publishOrders(fx, 1)
  const others = await publishOrders(fx, 2)
  // The same event again under another msg id, as a re-publish after the duplicate window would be.
  await fx.bus.js.publish(fx.subject(OrderCreated), JSON.stringify(first), { msgID: `again-${first!.id}` })
  const handled: string[][] = []
  await fx.run({ concurrency: 1, maxBatch: 10, consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push(ids(batch)))) })
  await settled(fx, spec.durable)
  t.same(handled, [[first!.id, ...others.map((e) => e.id)]], 'one batch, the repeat left out')
  t.same(fx.store.transactions.map((x) => x.eventIds), handled)
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.ack_floor.stream_seq, 4, 'the repeat was acked with the batch')
  t.equal((await fx.deadLetters.list()).length, 0)
})

void t.test("each delivery has a consumer span, child of its own message's producer span; one event is handled inside it", async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20 })
  const publisher = createPublisher(fx.bus)
  const subject = fx.subject(OrderCreated)
  const published = new Map<string, string>()
  for (let i = 0; i < 5; i++) {
    const event = orderCreated()
    await tracer.startActiveSpan('request', async (span) => {
      await publisher.publish(event, { subject })
      published.set(event.id, span.spanContext().traceId)
      span.end()
    })
  }
  const asked = [...published.keys()].slice(0, 4)
  const contexts = new Map<string, Readonly<Record<string, string>>>()
  const batchSizes: number[] = []
  await fx.run({
    concurrency: 1,
    maxBatch: 10,
    consumer: consumerOf(spec, (batch) => {
      batchSizes.push(batch.length)
      for (const d of batch) if (asked.includes(d.event.id)) contexts.set(d.event.id, d.traceContext())
      return Promise.resolve()
    }),
  })
  await settled(fx, spec.durable)
  t.ok(batchSizes.some((n) => n >= 2), `some events went as a batch (${batchSizes.join(', ')})`)
  const finished = spans.getFinishedSpans()
  const processSpans = finished.filter((s) => s.name === `process ${subject}`)
  t.equal(processSpans.length, 5, 'one consumer span per delivery, asked for or not')
  for (const span of processSpans) {
    const id = span.attributes['messaging.message.id']
    const producer = finished.find((s) => s.name === `publish ${subject}` && s.attributes['messaging.message.id'] === id)
    t.equal(span.kind, SpanKind.CONSUMER)
    t.equal(span.spanContext().traceId, published.get(String(id)), `event ${String(id).slice(0, 8)} continues its publisher's trace`)
    t.equal(span.parentSpanContext?.spanId, producer?.spanContext().spanId, "its parent is its message's producer span")
  }
  for (const [id, headers] of contexts) {
    const [, traceId, spanId] = headers.traceparent?.split('-') ?? []
    t.equal(traceId, published.get(id))
    const span = processSpans.find((s) => s.spanContext().spanId === spanId)
    t.equal(span?.attributes['messaging.message.id'], id, 'its trace context is its consumer span, ended with the batch')
  }

  // Alone, an event is handled inside its span: the handler's log lines carry its trace.
  const alone = await fx.consumer({ durable: fx.durable('alone'), filterSubjects: [`${fx.prefix}.alone`] })
  let active: string | undefined
  await fx.run({ consumer: consumerOf(alone, () => Promise.resolve(void (active = trace.getActiveSpan()?.spanContext().spanId))) })
  const event = orderCreated()
  await publisher.publish(event, { subject: `${fx.prefix}.alone` })
  await settled(fx, alone.durable)
  const span = spans
    .getFinishedSpans()
    .find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === event.id && s.attributes['messaging.consumer.group.name'] === alone.durable)
  t.ok(span, 'its consumer span')
  t.equal(active, span?.spanContext().spanId, 'the active span while it is handled')
})
