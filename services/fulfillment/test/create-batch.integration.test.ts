import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CreateShipment, makeEvent, OrderConfirmed, type CloudEvent } from '@orderflow/contracts'
import { createPublisher, PermanentError } from '@orderflow/messaging'
import { batchOf } from '@orderflow/testing/service'
import { createShipmentBatchHandler } from '../src/consumers/create-shipment.consumer.js'
import { createCommand, eventually, fulfillmentTestbed } from './testbed.js'

// One handler slot per consumer, so a burst of commands queues up and is taken in batches.
const tb = await fulfillmentTestbed(t, { FULFILLMENT_SHIP_AFTER_MS: '600000', CONSUMER_CONCURRENCY: '1' })
const create = (orderId: string): CloudEvent => makeEvent(CreateShipment, { source: 'orderflow/test', subject: orderId, data: createCommand(orderId) })
const shipments = async (ids: readonly string[]) =>
  Number((await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from shipments where order_id in (${ids.map(() => '?').join(', ')})`, [...ids]))[0]?.n)

t.test('a burst of create commands is taken in batches through the running consumer', async (t) => {
  await tb.startWorkers()
  const orders = Array.from({ length: 30 }, () => randomUUID())
  const outcomes = await createPublisher(tb.bus).publishMany(orders.map((id) => ({ event: create(id), subject: tb.topology.subject(CreateShipment.subject) })))
  t.ok(outcomes.every((o) => o.ok))
  await eventually(async () => ((await shipments(orders)) === 30 ? true : undefined), 'every shipment')
  const batches = await tb.ctx.registry.getSingleMetricAsString('messaging_consumer_batch_size')
  t.match(batches, /messaging_consumer_batch_size_count\{consumer="fulfillment-create"\} [1-9]/, 'some went in batches')
})

t.test('the batch handler creates once per order and refuses another type of event', async (t) => {
  const handle = createShipmentBatchHandler(tb.orm, 'test-create', { shipAfterMs: 600_000, deliverAfterMs: 600_000 })
  const orders = [randomUUID(), randomUUID()]
  const commands = orders.map(create)
  await handle(batchOf([...commands, create(orders[0]!)]))
  t.equal(await shipments(orders), 2, 'a second create for an order in the same batch changes nothing')
  const other = randomUUID()
  await t.rejects(handle(batchOf([create(other), makeEvent(OrderConfirmed, { source: 'orderflow/test', subject: other, data: { orderId: other } })])), PermanentError)
  t.equal(await shipments([other]), 0)
})
