import { setTimeout as sleep } from 'node:timers/promises'
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, type Delivery } from '@orderflow/messaging'
import { consumerOf, eventually, messagingFixture, orderCreated } from './fixtures/messaging.js'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new TracerProvider())

void t.test('a batch that fails twice is retried with the backoff and its effect commits once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ backoffMs: [150, 300], maxDeliver: 5 })
  const deliveries: { count: number; at: number }[] = []
  await fx.run({
    consumer: consumerOf(spec, (batch, tx) => {
      const [d] = batch
      deliveries.push({ count: d!.deliveryCount, at: performance.now() })
      tx.write(d!.event.id)
      return d!.deliveryCount < 3 ? Promise.reject(new Error(`database unavailable (${d!.deliveryCount})`)) : Promise.resolve()
    }),
  })
  const event = orderCreated()
  await createPublisher(fx.bus).publish(event, { subject: fx.subject(OrderCreated) })
  await eventually(() => (fx.store.committed.length > 0 ? true : undefined), 5_000, 'the third delivery')
  await sleep(400)
  t.same(fx.store.committed, [event.id], 'the effect committed once')
  t.same(fx.store.transactions.map((x) => x.outcome), ['rolled back', 'rolled back', 'committed'])
  t.same(deliveries.map((d) => d.count), [1, 2, 3])
  const [first, second, third] = deliveries.map((d) => d.at)
  const gap1 = second! - first!
  const gap2 = third! - second!
  t.ok(gap1 >= 140 && gap1 < 290, `first retry after ~150 ms (${Math.round(gap1)})`)
  t.ok(gap2 >= 290 && gap2 < 600, `second retry after ~300 ms (${Math.round(gap2)})`)

  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_ack_pending, 0)
  t.equal(info.ack_floor.stream_seq, 1, 'acked')
  const metrics = await fx.registry.metrics()
  t.match(metrics, new RegExp(`messaging_consumer_messages_total{consumer="${spec.durable}",outcome="retried"} 2`))
  t.match(metrics, new RegExp(`messaging_consumer_messages_total{consumer="${spec.durable}",outcome="acked"} 1`))
  t.match(metrics, new RegExp(`messaging_consumer_redeliveries_total{consumer="${spec.durable}"} 2`))
  t.match(metrics, new RegExp(`messaging_consumer_processing_seconds_count{consumer="${spec.durable}"} 3`))
  const retryLog = fx.logs.find((l) => l.msg === 'handler failed; will retry')
  t.match(retryLog, { event_id: event.id, event_type: OrderCreated.type, order_id: event.subject, delivery: 1, retryInMs: 150, consumer: spec.durable })
  t.equal(fx.deadLetters.lastFailure({ stream: fx.stream, seq: 1, consumer: spec.durable }), undefined, 'the failure is forgotten once acked')
})

void t.test('the consumer gets the delivery as it arrived, in the publisher’s trace', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const seen: { delivery: Delivery; traceContext: Readonly<Record<string, string>>; again: Readonly<Record<string, string>> }[] = []
  await fx.run({
    consumer: consumerOf(spec, (batch) => {
      for (const delivery of batch) seen.push({ delivery, traceContext: delivery.traceContext(), again: delivery.traceContext() })
      return Promise.resolve()
    }),
  })
  const event = orderCreated()
  const publisher = createPublisher(fx.bus)
  const traceId = await trace.getTracer('test').startActiveSpan('request', async (span) => {
    await publisher.publish(event, { subject: fx.subject(OrderCreated) })
    span.end()
    return span.spanContext().traceId
  })
  const [got] = await eventually(() => (seen.length > 0 ? seen : undefined))
  t.same(got?.delivery.event, event)
  t.match(got?.delivery, { subject: fx.subject(OrderCreated), streamSeq: 1, deliveryCount: 1 })
  t.equal(got?.traceContext.traceparent?.split('-')[1], traceId, 'the consumer span continues the trace from the headers')
  t.equal(got?.again, got?.traceContext, 'asked twice, one span')
  await eventually(() => (fx.store.transactions.length === 1 ? true : undefined))
  t.same(fx.store.transactions, [{ consumer: spec.durable, eventIds: [event.id], outcome: 'committed' }])
})
