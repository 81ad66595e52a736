import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CreateShipment, makeEvent, ShipmentCancelled, ShipmentCancelRefused, ShipmentPicking } from '@orderflow/contracts'
import { handleBatch } from '@orderflow/testing/service'
import { cancelShipmentConsumer, type CancelShipmentEvent } from '../src/consumers/cancel-shipment.consumer.js'
import { cancelShipmentCommand, createCommand, createShipments, fulfillmentTestbed, shipmentOutcome } from './testbed.js'

const tb = await fulfillmentTestbed(t)
const consumer = cancelShipmentConsumer({ logger: tb.ctx.logger })
const schedule = { shipAfterMs: 600_000, deliverAfterMs: 600_000 }

/** A picking shipment, a shipped one and an order without any, per run. */
async function orders(): Promise<{ picking: string; shipped: string; unknown: string }> {
  const [picking, shipped] = await createShipments(tb, [randomUUID(), randomUUID()], schedule)
  await tb.orm.em.fork().execute(
    `update shipments set status = 'SHIPPED', carrier = 'DHL', tracking_number = 'DHL000000000000001', next_step_at = now() + interval '1 hour' where order_id = ?`,
    [shipped],
  )
  return { picking: picking!, shipped: shipped!, unknown: randomUUID() }
}

t.test('a batch of several cancels ends as the same cancels handled one by one', async (t) => {
  // Two cancels (two commands) for one order, the first delivered twice (same event id); a
  // cancel of a shipment that left; two cancels of an order whose create has not come.
  const scenario = (o: { picking: string; shipped: string; unknown: string }): CancelShipmentEvent[] => {
    const first = cancelShipmentCommand(o.picking)
    return [first, cancelShipmentCommand(o.unknown), cancelShipmentCommand(o.picking), cancelShipmentCommand(o.shipped), first, cancelShipmentCommand(o.unknown)]
  }
  const batched = await orders()
  const oneByOne = await orders()
  await handleBatch(tb.ctx, consumer, scenario(batched))
  for (const event of scenario(oneByOne)) await handleBatch(tb.ctx, consumer, [event])

  const outcomes = async (o: { picking: string; shipped: string; unknown: string }) =>
    Promise.all([o.picking, o.shipped, o.unknown].map((id) => shipmentOutcome(tb, id)))
  const result = await outcomes(batched)
  t.same(result, await outcomes(oneByOne), 'the same shipments and answers')
  t.same(result, [
    { status: 'CANCELLED', skus: ['SKU-1', 'SKU-2'], scheduled: false, events: [ShipmentPicking.type, ShipmentCancelled.type, ShipmentCancelled.type] },
    { status: 'SHIPPED', skus: ['SKU-1', 'SKU-2'], scheduled: true, events: [ShipmentPicking.type, ShipmentCancelRefused.type] },
    { status: 'CANCELLED', skus: null, scheduled: false, events: [ShipmentCancelled.type, ShipmentCancelled.type] },
  ])
})

t.test('the refusal names the status the shipment had; another type of event is not taken', async (t) => {
  const { shipped } = await orders()
  await handleBatch(tb.ctx, consumer, [cancelShipmentCommand(shipped)])
  const [answer] = await tb.orm.em.fork().execute<{ payload: { data: unknown } }[]>(`select payload from outbox where payload->>'subject' = ? and type = ?`, [
    shipped,
    ShipmentCancelRefused.type,
  ])
  t.same(answer?.payload.data, { orderId: shipped, status: 'SHIPPED' })
  const id = randomUUID()
  t.notOk(consumer.accepts(makeEvent(CreateShipment, { source: 'orderflow/test', subject: id, data: createCommand(id) })))
})
