import { setTimeout as sleep } from 'node:timers/promises'
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { pino } from 'pino'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, PermanentError, runConsumer, SpecError, type BatchDelivery } from '@orderflow/messaging'
import { eventually, messagingFixture, orderCreated, type Fixture } from './fixtures/messaging.js'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] }))
const tracer = trace.getTracer('consumer-batch-test')

/** Publishes `n` order.created events at once; returns their ids in order. */
async function publishBurst(fx: Fixture, n: number): Promise<string[]> {
  const events = Array.from({ length: n }, () => orderCreated())
  const outcomes = await createPublisher(fx.bus).publishMany(events.map((event) => ({ event, subject: fx.subject(OrderCreated) })))
  if (!outcomes.every((o) => o.ok)) throw new Error('publish failed')
  return events.map((e) => e.id)
}

async function settled(fx: Fixture, durable: string): Promise<void> {
  await eventually(async () => {
    const info = await fx.bus.jsm.consumers.info(fx.stream, durable)
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined
  }, 10_000, 'every message settled')
}

void t.test('a backlog is handed to the batch handler several events at a time, and every event is acked once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 64 })
  const ids = await publishBurst(fx, 40)
  const single: string[] = []
  const batches: string[][] = []
  await fx.run({
    spec,
    concurrency: 1,
    maxBatch: 16,
    handler: (event) => Promise.resolve(void single.push(event.id)),
    batchHandler: async (deliveries) => {
      batches.push(deliveries.map((d) => d.event.id))
      await sleep(20)
    },
  })
  await settled(fx, spec.durable)
  const seen = [...single, ...batches.flat()]
  t.same([...seen].sort(), [...ids].sort(), 'each event handled exactly once')
  t.ok(batches.length > 0 && batches.every((b) => b.length >= 2 && b.length <= 16), `batches of 2 to 16 (${batches.map((b) => b.length).join(', ')})`)
  t.ok(batches.length < 40 / 2, 'the backlog went through in few transactions')
  t.same(batches.flat(), ids.filter((id) => batches.flat().includes(id)), 'in stream order')
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0)
  const metrics = await fx.registry.getSingleMetricAsString('messaging_consumer_batch_size')
  t.match(metrics, new RegExp(`messaging_consumer_batch_size_count\\{consumer="${spec.durable}"\\} ${batches.length}`))
})

void t.test('a quiet consumer hands each event to the single handler as it comes', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const single: string[] = []
  let batchCalls = 0
  await fx.run({
    spec,
    handler: (event) => Promise.resolve(void single.push(event.id)),
    batchHandler: () => Promise.resolve(void batchCalls++),
  })
  // Quiet: the second event is published once the first was handled, so no read of the socket
  // can hold both, even on a machine too busy to read it promptly.
  const first = await publishBurst(fx, 1)
  await eventually(() => (single.length === 1 ? true : undefined), 10_000, 'the first event handled')
  const ids = [...first, ...(await publishBurst(fx, 1))]
  await settled(fx, spec.durable)
  t.same(single, ids)
  t.equal(batchCalls, 0)
})

void t.test('a failed batch sends each of its events through the single handler, which settles it', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20, maxDeliver: 3 })
  const ids = await publishBurst(fx, 6)
  const poison = ids[2]!
  const single: string[] = []
  let batchCalls = 0
  await fx.run({
    spec,
    concurrency: 1,
    maxBatch: 10,
    handler: (event) => {
      single.push(event.id)
      return event.id === poison ? Promise.reject(new PermanentError('this one cannot be handled')) : Promise.resolve()
    },
    batchHandler: (deliveries) => {
      batchCalls++
      return deliveries.some((d) => d.event.id === poison) ? Promise.reject(new Error('rolled back')) : Promise.resolve()
    },
  })
  await settled(fx, spec.durable)
  t.ok(batchCalls >= 1)
  const [dl] = await eventually(async () => {
    const l = await fx.deadLetters.list()
    return l.length > 0 ? l : undefined
  })
  t.match(dl, { reason: 'permanent', eventId: poison, origin: { deliveries: 1 } }, 'the culprit is dead-lettered on its first delivery')
  t.ok(single.includes(poison), 'the culprit went through the single handler')
  t.equal((await fx.deadLetters.list()).length, 1, 'its neighbours were not dead-lettered')
  t.equal(new Set(single).size, single.length, 'no event went through the single handler twice')
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0, 'the fallback spent no delivery')
})

void t.test('invalid messages in a batch are dead-lettered alone; the valid ones still go as a batch', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20 })
  const subject = fx.subject(OrderCreated)
  await fx.bus.js.publish(subject, 'not json at all')
  const ids = await publishBurst(fx, 4)
  const batches: string[][] = []
  const single: string[] = []
  await fx.run({
    spec,
    concurrency: 1,
    maxBatch: 10,
    handler: (event) => Promise.resolve(void single.push(event.id)),
    batchHandler: (deliveries) => Promise.resolve(void batches.push(deliveries.map((d) => d.event.id))),
  })
  await settled(fx, spec.durable)
  const list = await fx.deadLetters.list()
  t.equal(list.length, 1)
  t.match(list[0]?.error, /^body is not JSON/)
  t.same([...single, ...batches.flat()].sort(), [...ids].sort(), 'every valid event handled once')
})

void t.test("each event's work runs in its own consumer span, continuing that event's trace", async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 20 })
  const publisher = createPublisher(fx.bus)
  const traceOf = new Map<string, string>()
  for (let i = 0; i < 5; i++) {
    const event = orderCreated()
    await tracer.startActiveSpan('request', async (span) => {
      await publisher.publish(event, { subject: fx.subject(OrderCreated) })
      traceOf.set(event.id, span.spanContext().traceId)
      span.end()
    })
  }
  const seen = new Map<string, string | undefined>()
  const loggers = new Set<unknown>()
  let batched = 0
  await fx.run({
    spec,
    concurrency: 1,
    maxBatch: 10,
    handler: (event) => Promise.resolve(void seen.set(event.id, trace.getActiveSpan()?.spanContext().traceId)),
    batchHandler: async (deliveries: readonly BatchDelivery[]) => {
      batched += deliveries.length
      for (const d of deliveries) {
        loggers.add(d.context.logger)
        seen.set(d.event.id, await d.traced(() => Promise.resolve(trace.getActiveSpan()?.spanContext().traceId)))
      }
    },
  })
  await settled(fx, spec.durable)
  t.ok(batched >= 2, `some events went as a batch (${batched})`)
  t.equal(loggers.size, batched, 'each delivery of a batch has its own logger')
  for (const [id, traceId] of traceOf) t.equal(seen.get(id), traceId, `event ${id.slice(0, 8)} handled in its publisher's trace`)
})

void t.test('a batch size or concurrency beyond max_ack_pending stops the start', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 10 })
  const base = { bus: fx.bus, logger: pino({ level: 'silent' }), deadLetters: fx.deadLetters, spec }
  const handler = () => Promise.resolve()
  await t.rejects(runConsumer({ ...base, handler, batchHandler: handler, maxBatch: 11 }), SpecError)
  await t.rejects(runConsumer({ ...base, handler, batchHandler: handler, maxBatch: 5, concurrency: 3 }), SpecError)
  await t.rejects(runConsumer({ ...base, handler, batchHandler: handler, maxBatch: 0 }), SpecError)
  const runner = await runConsumer({ ...base, handler, batchHandler: handler, maxBatch: 5, concurrency: 2 })
  await runner.stop()
})
