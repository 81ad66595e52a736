import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { Match } from '@nats-io/transport-node'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { ContractViolationError, OrderConfirmed, OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, createTopology, provision, PublishError, type PublishOutcome } from '@orderflow/messaging'
import { deleteStreamsAfter, randomNamespace } from '@orderflow/testing'
import { countIn, messagingFixture, orderCreated } from './fixtures/messaging.js'

const spans = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))
const tracer = trace.getTracer('publisher-test')

void t.test('publish sets Nats-Msg-Id to the event id and the active trace', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus, { registry: fx.registry })
  const event = orderCreated()
  const subject = fx.subject(OrderCreated)
  const { ack, traceId } = await tracer.startActiveSpan('http request', async (span) => {
    const ack = await publisher.publish(event, { subject, headers: { 'x-request-id': 'r-1' } })
    span.end()
    return { ack, traceId: span.spanContext().traceId }
  })
  t.match(ack, { stream: fx.stream, duplicate: false })
  const stored = await fx.bus.jsm.streams.getMessage(fx.stream, { seq: ack.seq })
  t.equal(stored?.subject, subject)
  t.equal(stored?.header.get('Nats-Msg-Id'), event.id)
  t.equal(stored?.header.get('x-request-id'), 'r-1')
  const traceparent = stored?.header.get('traceparent') ?? ''
  t.match(traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the message continues the caller’s trace')
  t.same(stored?.json(), event, 'the body is the CloudEvent')
  const producer = spans.getFinishedSpans().find((s) => s.name === `publish ${subject}`)
  t.equal(producer?.spanContext().spanId, traceparent.split('-')[2], 'its parent is the producer span')
  t.match(producer?.attributes, { 'messaging.system': 'nats', 'messaging.operation.name': 'publish', 'messaging.destination.name': subject, 'messaging.message.id': event.id })
})

void t.test('the catalog gives the subject when none is passed, in the publisher\'s namespace', async (t) => {
  const fx = await messagingFixture(t)
  const topology = createTopology(randomNamespace())
  deleteStreamsAfter(t, fx.nc, topology.stream('ORDERS'))
  const [orders] = topology.streams()
  await provision(fx.bus.jsm, { streams: [orders!] })
  const publisher = createPublisher(fx.bus, { topology })
  const ack = await publisher.publish(orderCreated())
  t.equal(ack.stream, topology.stream('ORDERS'))
  const stored = await fx.bus.jsm.streams.getMessage(ack.stream, { seq: ack.seq })
  t.equal(stored?.subject, topology.subject(OrderCreated.subject))

  // Outside any namespace stream the failure names the subject it tried.
  const stray = createPublisher(fx.bus, { topology: createTopology(randomNamespace()) })
  const err = (await t.rejects(stray.publish(orderCreated()), PublishError)) as unknown
  t.match(err, { message: /publish to t[0-9a-f]+\.order\.evt\.created/ })
})

void t.test('a traceparent in the headers (an outbox row\'s) is the producer span\'s parent, whatever is active', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus)
  const subject = fx.subject(OrderCreated)
  const event = orderCreated()
  const [traceId, parentId] = ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331']
  const ack = await tracer.startActiveSpan('unrelated', async (span) => {
    const ack = await publisher.publish(event, { subject, headers: { Traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'k=v' } })
    span.end()
    return ack
  })
  const stored = await fx.bus.jsm.streams.getMessage(fx.stream, { seq: ack.seq })
  const producer = spans.getFinishedSpans().find((s) => s.attributes['messaging.message.id'] === event.id)
  t.equal(producer?.spanContext().traceId, traceId, 'the producer span continues the carried trace')
  t.equal(producer?.parentSpanContext?.spanId, parentId, 'as a child of the carried span')
  t.same(stored?.header.values('traceparent', Match.IgnoreCase), [`00-${traceId}-${producer?.spanContext().spanId}-01`], "the message carries the producer span's context, once")
  t.equal(stored?.header.get('tracestate'), 'k=v')
})

void t.test('publishing the same event twice stores it once', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus, { registry: fx.registry })
  const event = orderCreated()
  // A header whose name contains "Nats-Msg-Id" must not hide the real one from nats-server 2.9.
  const headers = { 'X-Original-Nats-Msg-Id': 'elsewhere', 'Nats-Msg-Id': 'ignored' }
  const first = await publisher.publish(event, { subject: fx.subject(OrderCreated), headers })
  const second = await publisher.publish(event, { subject: fx.subject(OrderCreated), headers })
  t.equal(first.duplicate, false)
  t.equal(second.duplicate, true, 'the PubAck reports the duplicate')
  t.equal(second.seq, first.seq)
  t.equal(await countIn(fx.bus, fx.stream), 1)
  t.equal((await fx.bus.jsm.streams.getMessage(fx.stream, { seq: first.seq }))?.header.get('Nats-Msg-Id'), event.id, 'always the event id')
  const metrics = await fx.registry.getSingleMetricAsString('messaging_published_total')
  t.match(metrics, /outcome="stored"} 1/)
  t.match(metrics, /outcome="duplicate"} 1/)
})

void t.test('an invalid event is refused and nothing is stored', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus, { registry: fx.registry })
  const subject = fx.subject(OrderCreated)
  const badData = orderCreated({ data: { orderId: 'not-a-uuid' } })
  const err = (await t.rejects(publisher.publish(badData, { subject }), ContractViolationError)) as ContractViolationError
  t.ok(err.issues.some((i) => i.path.startsWith('/data')), 'the issue names the data field')
  await t.rejects(publisher.publish(orderCreated({ type: 'orderflow.order.unknown.v1' }), { subject }), ContractViolationError)
  await t.rejects(publisher.publish({ ...orderCreated(), specversion: '0.3' } as never, { subject }), ContractViolationError)
  t.equal(await countIn(fx.bus, fx.stream), 0)
  t.match(await fx.registry.getSingleMetricAsString('messaging_published_total'), /outcome="invalid"} 3/)
})

void t.test('publishMany stores every message and reports each outcome', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus, { registry: fx.registry })
  const subject = fx.subject(OrderCreated)
  const events = Array.from({ length: 200 }, () => orderCreated())
  const started = performance.now()
  const outcomes = await publisher.publishMany(events.map((event) => ({ event, subject })))
  const elapsed = performance.now() - started
  t.equal(outcomes.length, 200)
  t.ok(outcomes.every((o) => o.ok && !o.duplicate))
  const seqs = outcomes.map((o) => (o.ok ? o.seq : 0))
  t.equal(new Set(seqs).size, 200, 'each message has its own sequence')
  t.equal(await countIn(fx.bus, fx.stream), 200)
  t.ok(elapsed < 2_000, `pipelined: 200 messages in ${Math.round(elapsed)} ms`)
})

void t.test('publishMany reports failures per message and stores the rest', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus, { registry: fx.registry })
  const stored = orderCreated()
  const confirmed = { ...orderCreated(), type: OrderConfirmed.type, data: { orderId: stored.subject } }
  const outcomes: PublishOutcome[] = await publisher.publishMany([
    { event: stored, subject: fx.subject(OrderCreated) },
    { event: orderCreated({ data: {} }), subject: fx.subject(OrderCreated) },
    { event: orderCreated(), subject: `${fx.prefix}_nowhere.order.evt.created` },
    { event: stored, subject: fx.subject(OrderCreated) },
    { event: confirmed, subject: fx.subject(OrderConfirmed), headers: { 'x-test': '1' } },
  ])
  t.match(outcomes, [
    { ok: true, seq: Number, duplicate: false },
    { ok: false, error: ContractViolationError },
    { ok: false, error: PublishError },
    { ok: true, duplicate: true },
    { ok: true, duplicate: false },
  ])
  t.equal(await countIn(fx.bus, fx.stream), 2)
  t.match(await fx.registry.getSingleMetricAsString('messaging_published_total'), /outcome="failed"} 1/)
})

void t.test('an event checked where it was made (an outbox row) is not checked again; without a subject it still is', async (t) => {
  const fx = await messagingFixture(t)
  const publisher = createPublisher(fx.bus, { registry: fx.registry })
  const subject = fx.subject(OrderCreated)
  // Data that breaks the contract shows whether the check ran: `checked` trusts the caller.
  const trusted = orderCreated({ data: { orderId: 'not-a-uuid' } })
  const ack = await publisher.publish(trusted, { subject, checked: true, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
  const stored = await fx.bus.jsm.streams.getMessage(fx.stream, { seq: ack.seq })
  t.same(stored?.json(), trusted)
  t.equal(stored?.header.get('Nats-Msg-Id'), trusted.id)
  t.match(stored?.header.get('traceparent'), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
  const outcomes = await publisher.publishMany([{ event: orderCreated({ data: {} }), subject, checked: true }])
  t.match(outcomes, [{ ok: true, duplicate: false }], 'publishMany too')

  await t.rejects(publisher.publish(orderCreated({ data: {} }), { checked: true }), ContractViolationError, 'no subject: the contract gives it, so it is checked')
  t.equal(await countIn(fx.bus, fx.stream), 2)
  t.match(await fx.registry.getSingleMetricAsString('messaging_published_total'), /outcome="invalid"} 1/)
})
