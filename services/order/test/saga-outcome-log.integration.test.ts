import t from 'tap'
import pino from 'pino'
import { serviceTransact } from '@orderflow/runtime'
import { countInFlight } from '../src/saga/count-in-flight.js'
import { inventoryReplies, sagaReplies } from '../src/saga/saga-replies.consumer.js'
import { sagaMetrics } from '../src/saga/saga.metrics.js'
import { orderTestbed, replies, sagaHarness, timingsOf } from './testbed.js'

// The outcome's log line is how an operator goes from an order to its trace. In a batch of
// several orders no one span is active, so the line names its own order's trace.
const tb = await orderTestbed(t)
const h = sagaHarness(tb)

t.test('each outcome of a batch logs its own order id and trace id, once each', async (t) => {
  const raw: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void raw.push(line) })
  const consumer = sagaReplies(inventoryReplies, { timings: timingsOf(tb), metrics: sagaMetrics(tb.ctx.registry, () => countInFlight(tb.ctx.db)), logger })
  const orders = [await h.place(), await h.place()]
  const traces = ['4bf92f3577b34da6a3ce929d0e0e4736', '0af7651916cd43dd8448eb211c80319c']
  const batch = orders.map((id, i) => ({
    event: replies.rejected(id),
    subject: 'inventory.evt.rejected',
    streamSeq: i + 1,
    deliveryCount: 1,
    traceContext: () => ({ traceparent: `00-${traces[i]}-00f067aa0ba902b7-01` }),
  }))
  await serviceTransact(tb.ctx)(consumer.spec.durable, batch.map((d) => d.event.id), (tx) => consumer.handle(batch, tx))

  const outcomes = raw.filter((line) => line.includes('saga reached an outcome'))
  t.equal(outcomes.length, 2)
  for (const [i, id] of orders.entries()) {
    const line = outcomes.find((l) => l.includes(id))
    t.match(JSON.parse(line ?? '{}'), { order_id: id, outcome: 'FAILED', trace_id: traces[i] }, `order ${i + 1}`)
    t.equal(line?.match(/"trace_id"/g)?.length, 1, 'the key is written once')
  }
})
