import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CreateShipment, makeEvent, OrderConfirmed, ShipmentCancelled, ShipmentPicking } from '@orderflow/contracts'
import { createPublisher } from '@orderflow/messaging'
import { handleBatch } from '@orderflow/testing/service'
import { createShipmentConsumer, type CreateShipmentEvent } from '../src/consumers/create-shipment.consumer.js'
import { cancelShipments, createShipmentCommand, eventually, fulfillmentTestbed, shipmentOutcome } from './testbed.js'

// One handler slot per consumer, so a burst of commands queues up and is taken in batches.
const tb = await fulfillmentTestbed(t, { FULFILLMENT_SHIP_AFTER_MS: '600000', CONSUMER_CONCURRENCY: '1' })
const consumer = createShipmentConsumer({ schedule: { shipAfterMs: 600_000, deliverAfterMs: 600_000 }, logger: tb.ctx.logger })
const shipments = async (ids: readonly string[]) =>
  Number((await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from shipments where order_id in (${ids.map(() => '?').join(', ')})`, [...ids]))[0]?.n)

t.test('a burst of create commands is taken in batches through the running consumer', async (t) => {
  await tb.startWorkers()
  const orders = Array.from({ length: 30 }, () => randomUUID())
  const outcomes = await createPublisher(tb.bus).publishMany(
    orders.map((id) => ({ event: createShipmentCommand(id), subject: tb.topology.subject(CreateShipment.subject) })),
  )
  t.ok(outcomes.every((o) => o.ok))
  await eventually(async () => ((await shipments(orders)) === 30 ? true : undefined), 'every shipment')
  const batches = await tb.ctx.registry.getSingleMetricAsString('messaging_consumer_batch_size')
  t.match(batches, /messaging_consumer_batch_size_count\{consumer="fulfillment-create"\} [1-9]/, 'some went in batches')
})

t.test('the consumer creates once per order in a batch and takes no other type of event', async (t) => {
  const orders = [randomUUID(), randomUUID()]
  const commands = orders.map((id) => createShipmentCommand(id))
  await handleBatch(tb.ctx, consumer, [...commands, createShipmentCommand(orders[0]!)])
  t.equal(await shipments(orders), 2, 'a second create for an order in the same batch changes nothing')
  const other = randomUUID()
  t.notOk(consumer.accepts(makeEvent(OrderConfirmed, { source: 'orderflow/test', subject: other, data: { orderId: other } })), 'the runner dead-letters it')
  t.ok(consumer.accepts(createShipmentCommand(other)))
})

t.test('a batch of several commands ends as the same commands handled one by one', async (t) => {
  // Per run: a new order; a second create for it (another command, other items) and the first
  // delivered again (same event id); an order a cancel overtook; and one more new order.
  const scenario = (o: readonly string[]): CreateShipmentEvent[] => {
    const first = createShipmentCommand(o[0]!)
    return [first, createShipmentCommand(o[1]!), createShipmentCommand(o[0]!, { items: [{ sku: 'OTHER', quantity: 9, unitPrice: 1 }] }), createShipmentCommand(o[2]!), first]
  }
  const batched = [randomUUID(), randomUUID(), randomUUID()]
  const oneByOne = [randomUUID(), randomUUID(), randomUUID()]
  await cancelShipments(tb, [batched[1]!, oneByOne[1]!])

  await handleBatch(tb.ctx, consumer, scenario(batched))
  for (const event of scenario(oneByOne)) await handleBatch(tb.ctx, consumer, [event])

  const outcomes = async (ids: readonly string[]) => Promise.all(ids.map((id) => shipmentOutcome(tb, id)))
  const result = await outcomes(batched)
  t.same(result, await outcomes(oneByOne), 'the same shipments and events')
  t.same(result, [
    { status: 'PICKING', skus: ['SKU-1', 'SKU-2'], scheduled: true, events: [ShipmentPicking.type] },
    { status: 'CANCELLED', skus: null, scheduled: false, events: [ShipmentCancelled.type] },
    { status: 'PICKING', skus: ['SKU-1', 'SKU-2'], scheduled: true, events: [ShipmentPicking.type] },
  ])
})

t.test('two creates for one order in two transactions at once: one shipment, the loser handled again changes nothing', async (t) => {
  const orderId = randomUUID()
  const [a, b] = [createShipmentCommand(orderId), createShipmentCommand(orderId)]
  const settled = await Promise.allSettled([handleBatch(tb.ctx, consumer, [a]), handleBatch(tb.ctx, consumer, [b])])
  t.ok(settled.filter((s) => s.status === 'rejected').length <= 1, 'at most the loser of the race on the primary key fails')
  // What the runner does with a failed event: it comes again, in a new transaction.
  for (const [i, s] of settled.entries()) if (s.status === 'rejected') await handleBatch(tb.ctx, consumer, [[a, b][i]!])
  t.same(await shipmentOutcome(tb, orderId), { status: 'PICKING', skus: ['SKU-1', 'SKU-2'], scheduled: true, events: [ShipmentPicking.type] })
})
