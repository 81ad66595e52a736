import { setTimeout as sleep } from 'node:timers/promises'
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { TracerProvider } from '@opentelemetry/sdk-trace'
import { OrderCreated, type CloudEvent } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, type HandlerContext } from '@orderflow/messaging'
import { eventually, messagingFixture, orderCreated } from './fixtures/messaging.js'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new TracerProvider())

void t.test('a handler that fails twice is retried with the backoff and its effect happens once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ backoffMs: [150, 300], maxDeliver: 5 })
  const deliveries: { count: number; at: number }[] = []
  const effects: string[] = []
  await fx.run({
    spec,
    handler: (event, ctx) => {
      deliveries.push({ count: ctx.deliveryCount, at: performance.now() })
      if (ctx.deliveryCount < 3) return Promise.reject(new Error(`database unavailable (${ctx.deliveryCount})`))
      effects.push(event.id)
      return Promise.resolve()
    },
  })
  const event = orderCreated()
  await createPublisher(fx.bus).publish(event, { subject: fx.subject(OrderCreated) })
  await eventually(() => (effects.length > 0 ? true : undefined), 5_000, 'the third delivery')
  await sleep(400)
  t.same(effects, [event.id], 'the effect happened once')
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
  t.match(retryLog, { event_id: event.id, order_id: event.subject, retryInMs: 150, consumer: spec.durable })
})

void t.test('the handler runs in the publisher’s trace and gets the delivery context', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const seen: { event: CloudEvent; ctx: HandlerContext; traceId: string | undefined }[] = []
  await fx.run({
    spec,
    handler: (event, ctx) => {
      ctx.logger.info('handling')
      seen.push({ event, ctx, traceId: trace.getActiveSpan()?.spanContext().traceId })
      return Promise.resolve()
    },
  })
  const event = orderCreated()
  const publisher = createPublisher(fx.bus)
  const traceId = await trace.getTracer('test').startActiveSpan('request', async (span) => {
    await publisher.publish(event, { subject: fx.subject(OrderCreated), headers: { 'x-origin': 'test' } })
    span.end()
    return span.spanContext().traceId
  })
  const [got] = await eventually(() => (seen.length > 0 ? seen : undefined))
  t.same(got?.event, event)
  t.equal(got?.traceId, traceId, 'the consumer span continues the trace from the headers')
  t.match(got?.ctx, { deliveryCount: 1, subject: fx.subject(OrderCreated), streamSeq: 1, headers: { 'x-origin': 'test', 'Nats-Msg-Id': event.id } })
  t.match(
    fx.logs.find((l) => l.msg === 'handling'),
    { event_id: event.id, event_type: OrderCreated.type, order_id: event.subject, consumer: spec.durable, delivery: 1 },
  )
})
