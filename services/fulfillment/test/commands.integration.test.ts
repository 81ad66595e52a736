import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  CancelShipment,
  CreateShipment,
  makeEvent,
  ShipmentCancelled,
  ShipmentCancelRefused,
  ShipmentPicking,
  type CloudEvent,
  type MessageDefinition,
} from '@orderflow/contracts'
import { createPublisher } from '@orderflow/messaging'
import { createCommand, eventually, fulfillmentTestbed } from './testbed.js'

// The scheduler runs but its first step is far away: these tests are about the commands.
const tb = await fulfillmentTestbed(t, { FULFILLMENT_SHIP_AFTER_MS: '600000' })
await tb.startWorkers()
const publisher = createPublisher(tb.bus)
const stream = tb.topology.stream('FULFILLMENT')

const command = (def: MessageDefinition, data: { orderId: string }): CloudEvent =>
  makeEvent(def, { source: 'orderflow/test', subject: data.orderId, data })
const send = (def: MessageDefinition, e: CloudEvent) => publisher.publish(e, { subject: tb.topology.subject(def.subject) })
/** A second copy under another Nats-Msg-Id, as a redelivery or a replay arrives. */
const sendAgain = (def: MessageDefinition, e: CloudEvent) => tb.bus.js.publish(tb.topology.subject(def.subject), JSON.stringify(e), { msgID: randomUUID() })

const status = async (orderId: string) => {
  const [row] = await tb.orm.em.fork().execute<{ status: string }[]>('select status from shipments where order_id = ?', [orderId])
  return row?.status
}

/** Waits until both consumers have settled everything and the outbox is drained. */
async function settled(): Promise<void> {
  await eventually(async () => {
    for (const durable of ['fulfillment-create', 'fulfillment-cancel']) {
      const info = await tb.bus.jsm.consumers.info(stream, durable)
      if (info.num_pending + info.num_ack_pending > 0) return undefined
    }
    const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from outbox where sent_at is null')
    return Number(row?.n) === 0 ? true : undefined
  }, 'consumers and outbox settled')
}

/** The event types published on the stream about one order, in stream order (commands excluded). */
async function published(orderId: string): Promise<string[]> {
  const { state } = await tb.bus.jsm.streams.info(stream)
  const types: string[] = []
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await tb.bus.jsm.streams.getMessage(stream, { seq })
    if (!m || !m.subject.includes('.evt.')) continue
    const e = m.json<CloudEvent>()
    if (e.subject === orderId) types.push(e.type)
  }
  return types
}

t.test('a create command starts a PICKING shipment and publishes fulfillment.picking', async (t) => {
  const orderId = randomUUID()
  await send(CreateShipment, command(CreateShipment, createCommand(orderId)))
  await eventually(async () => ((await published(orderId)).length > 0 ? true : undefined), 'the picking event')
  t.equal(await status(orderId), 'PICKING')
  const { state } = await tb.bus.jsm.streams.info(stream)
  const last = await tb.bus.jsm.streams.getMessage(stream, { seq: state.last_seq })
  const event = last?.json<CloudEvent<{ orderId: string; shipmentId: string }>>()
  t.equal(event?.type, ShipmentPicking.type)
  t.equal(event?.data.orderId, orderId)
  t.equal(last?.header.get('Nats-Msg-Id'), event?.id, 'published with Nats-Msg-Id = event id')
})

t.test('a create delivered twice, and a second create for the order, ship it once', async (t) => {
  const orderId = randomUUID()
  const first = command(CreateShipment, createCommand(orderId))
  await send(CreateShipment, first)
  await sendAgain(CreateShipment, first)
  await send(CreateShipment, command(CreateShipment, createCommand(orderId, { items: [{ sku: 'OTHER', quantity: 9, unitPrice: 1 }] })))
  await settled()
  t.same(await published(orderId), [ShipmentPicking.type], 'one picking event')
  const [row] = await tb.orm.em.fork().execute<{ items: { sku: string }[] }[]>('select items from shipments where order_id = ?', [orderId])
  t.equal(row?.items[0]?.sku, 'SKU-1', 'the first command’s items were kept')
})

t.test('a cancel while picking stops the shipment: CANCELLED, fulfillment.cancelled, nothing scheduled', async (t) => {
  const orderId = randomUUID()
  await send(CreateShipment, command(CreateShipment, createCommand(orderId)))
  await eventually(async () => ((await status(orderId)) === 'PICKING' ? true : undefined), 'the shipment')
  const cancel = command(CancelShipment, { orderId })
  await send(CancelShipment, cancel)
  await sendAgain(CancelShipment, cancel)
  await settled()
  t.equal(await status(orderId), 'CANCELLED')
  t.same(await published(orderId), [ShipmentPicking.type, ShipmentCancelled.type], 'one answer for the duplicated cancel')
  const [row] = await tb.orm.em.fork().execute<{ next_step_at: Date | null }[]>('select next_step_at from shipments where order_id = ?', [orderId])
  t.equal(row?.next_step_at, null)
})

t.test('a cancel after the shipment left is refused with its status, and the shipment goes on', async (t) => {
  const orderId = randomUUID()
  await send(CreateShipment, command(CreateShipment, createCommand(orderId)))
  await eventually(async () => ((await status(orderId)) === 'PICKING' ? true : undefined), 'the shipment')
  await tb.orm.em.fork().execute(
    `update shipments set status = 'SHIPPED', carrier = 'DHL', tracking_number = 'DHL000000000000001', next_step_at = now() + interval '1 hour' where order_id = ?`,
    [orderId],
  )
  await send(CancelShipment, command(CancelShipment, { orderId }))
  await settled()
  t.equal(await status(orderId), 'SHIPPED')
  t.same(await published(orderId), [ShipmentPicking.type, ShipmentCancelRefused.type])
  const { state } = await tb.bus.jsm.streams.info(stream)
  const refusal = (await tb.bus.jsm.streams.getMessage(stream, { seq: state.last_seq }))?.json<CloudEvent>()
  t.match(refusal, { type: ShipmentCancelRefused.type, data: { orderId, status: 'SHIPPED' } })
})

t.test('a cancel that overtakes its create: CANCELLED at once, and the late create does not ship', async (t) => {
  const orderId = randomUUID()
  await send(CancelShipment, command(CancelShipment, { orderId }))
  await eventually(async () => ((await status(orderId)) === 'CANCELLED' ? true : undefined), 'the cancelled record')
  await send(CreateShipment, command(CreateShipment, createCommand(orderId)))
  await settled()
  t.equal(await status(orderId), 'CANCELLED')
  t.same(await published(orderId), [ShipmentCancelled.type], 'no picking event')
  // A second cancel (another command) for the cancelled shipment is answered again, changing nothing.
  await send(CancelShipment, command(CancelShipment, { orderId }))
  await settled()
  t.same(await published(orderId), [ShipmentCancelled.type, ShipmentCancelled.type])
})

t.test('a message of the wrong type on a command subject is dead-lettered at once', async (t) => {
  const orderId = randomUUID()
  const wrong = command(CancelShipment, { orderId })
  await publisher.publish(wrong, { subject: tb.topology.subject(CreateShipment.subject) })
  const dl = await eventually(async () => (await tb.ctx.deadLetters.list({ limit: 20 })).find((d) => d.eventId === wrong.id), 'the dead letter')
  // The consumer's type guard refuses it before any transaction: the runner dead-letters it as invalid.
  t.match(dl, {
    reason: 'invalid',
    error: /fulfillment-create does not handle orderflow\.fulfillment\.cancel\.v1/,
    origin: { consumer: 'fulfillment-create', deliveries: 1 },
  })
  t.equal(await status(orderId), undefined, 'nothing was stored')
})
