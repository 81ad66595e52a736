import { randomUUID } from 'node:crypto'
import t from 'tap'
import { makeEvent, OrderConfirmed, ShipmentDelivered, ShipmentShipped, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import { createDeadLetters, createPublisher } from '@orderflow/messaging'
import { orderBody, orderTestbed } from './testbed.js'
import { eventually } from '@orderflow/testing/service'

const tb = await orderTestbed(t)
await tb.startWorkers()
const publisher = createPublisher(tb.bus)
const { stream: dlqStream, subjectPrefix } = tb.topology.deadLetters
const deadLetters = createDeadLetters(tb.bus, { stream: dlqStream, subjectPrefix })
const rw = tb.auth(['orders:read', 'orders:write'])

async function place(): Promise<string> {
  const res = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: rw, payload: orderBody() })
  return res.json<{ id: string }>().id
}
const view = async (id: string) =>
  (await tb.app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: rw })).json<{ status: string; timeline: { type: string }[] }>()
const untilStatus = (id: string, status: string) =>
  eventually(async () => ((await view(id)).status === status ? true : undefined), `order ${id} ${status}`)
const event = (def: MessageDefinition, orderId: string, extra: Record<string, unknown> = {}): CloudEvent =>
  makeEvent(def, { source: 'orderflow/test', subject: orderId, data: { orderId, ...extra } })
/** Publishes as the saga would, on the definition's subject in the test's namespace. */
const publish = (def: MessageDefinition, e: CloudEvent) => publisher.publish(e, { subject: tb.topology.subject(def.subject) })

t.test('outcome and shipment events over JetStream move the order to DELIVERED', async (t) => {
  const id = await place()
  await publish(OrderConfirmed, event(OrderConfirmed, id))
  await untilStatus(id, 'CONFIRMED')
  const shipment = { shipmentId: randomUUID(), carrier: 'DHL' }
  await publish(ShipmentShipped, event(ShipmentShipped, id, shipment))
  await untilStatus(id, 'SHIPPED')
  await publish(ShipmentDelivered, event(ShipmentDelivered, id, shipment))
  await untilStatus(id, 'DELIVERED')
  t.same((await view(id)).timeline.map((e) => e.type), ['CREATED', 'CONFIRMED', 'SHIPPED', 'DELIVERED'])
})

t.test('an event delivered twice (past the duplicate window) has one effect', async (t) => {
  const id = await place()
  const confirmed = event(OrderConfirmed, id)
  await publish(OrderConfirmed, confirmed)
  // A second copy with another Nats-Msg-Id, as a redelivery or a replay would arrive.
  await tb.bus.js.publish(tb.topology.subject(OrderConfirmed.subject), JSON.stringify(confirmed), { msgID: randomUUID() })
  await untilStatus(id, 'CONFIRMED')
  await eventually(async () => {
    const [row] = await tb.orm.em.fork().execute<{ n: string }[]>(
      `select count(*) as n from inbox where event_id = ?`,
      [confirmed.id],
    )
    return Number(row?.n) === 1 ? true : undefined
  }, 'the inbox row')
  const consumer = await tb.bus.jsm.consumers.info(tb.topology.stream('ORDERS'), 'order-saga')
  await eventually(async () => ((await tb.bus.jsm.consumers.info(tb.topology.stream('ORDERS'), 'order-saga')).num_ack_pending === 0 ? true : undefined), 'both copies settled')
  t.ok(consumer.delivered.stream_seq >= 2)
  t.same((await view(id)).timeline.map((e) => e.type), ['CREATED', 'CONFIRMED'], 'one CONFIRMED entry')
})

t.test('a malformed message is dead-lettered at once with its origin', async (t) => {
  const subject = tb.topology.subject(OrderConfirmed.subject)
  await tb.bus.js.publish(subject, '{"this is": "not a CloudEvent"}', { msgID: randomUUID() })
  const [dl] = await eventually(async () => {
    const list = await deadLetters.list({ limit: 10 })
    return list.length > 0 ? list : undefined
  }, 'the dead letter')
  t.match(dl, { reason: 'invalid', origin: { subject, stream: tb.topology.stream('ORDERS'), consumer: 'order-saga', deliveries: 1 } })
  if (dl) await deadLetters.purge(dl.seq)
})

t.test('an event for an order that does not exist yet dead-letters, and replays once it does', async (t) => {
  const id = randomUUID()
  const confirmed = event(OrderConfirmed, id)
  await publish(OrderConfirmed, confirmed)
  const dl = await eventually(async () => (await deadLetters.list({ limit: 10 })).find((d) => d.eventId === confirmed.id), 'the dead letter')
  t.match(dl, { reason: 'permanent', error: /does not exist/ })

  // The cause is fixed: the order now exists (restored from a backup, say).
  await tb.orm.em.fork().execute(
    `insert into orders (id, customer_id, email, currency, total_amount, status, created_by, created_at, updated_at, version)
     values (?, 'c-restored', 'r@example.com', 'EUR', 100, 'PENDING', 'ops', now(), now(), 1)`,
    [id],
  )
  await deadLetters.replay(dl.seq)
  await untilStatus(id, 'CONFIRMED')
  t.equal(await deadLetters.get(dl.seq), null, 'the replayed dead letter is gone')
})
