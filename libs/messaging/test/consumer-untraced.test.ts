// No tracer provider and no propagator in this file: a service with tracing off.
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher } from '@orderflow/messaging'
import { consumerOf, eventually, messagingFixture, orderCreated } from './fixtures/messaging.js'

void t.test('with tracing off, a delivery passes on the trace headers it came with', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const contexts: Array<Readonly<Record<string, string>>> = []
  await fx.run({
    consumer: consumerOf(spec, (batch) => {
      for (const d of batch) contexts.push(d.traceContext())
      return Promise.resolve()
    }),
  })
  const carried = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' }
  const publisher = createPublisher(fx.bus)
  await publisher.publish(orderCreated(), { subject: fx.subject(OrderCreated), headers: { ...carried, 'x-request-id': 'r-1' } })
  await publisher.publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  await eventually(() => (contexts.length === 2 ? true : undefined))
  t.same(contexts, [carried, {}], 'the trace goes on unchanged, at no cost; nothing else is copied')
})
