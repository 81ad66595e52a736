import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  makeEvent,
  OrderCancelled,
  OrderCancelRefused,
  OrderConfirmed,
  OrderFailed,
  OrderProgressed,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  type CloudEvent,
} from '@orderflow/contracts'
import { PermanentError } from '@orderflow/messaging'
import { projectionBatchHandler, projectionHandler } from '../src/consumers/projection.consumer.js'
import { batchOf, handlerContext } from '@orderflow/testing/service'
import { findOrderWithDetails } from '../src/repositories/orders.repository.js'
import { orderBody, orderTestbed } from './testbed.js'

const tb = await orderTestbed(t)
const handle = projectionHandler(tb.orm, 'order-saga')
const ctx = handlerContext()

async function place(): Promise<string> {
  const res = await tb.app.inject({ method: 'POST', url: '/v1/orders', headers: tb.auth(['orders:write']), payload: orderBody() })
  return res.json<{ id: string }>().id
}
const order = async (id: string) => {
  const o = await findOrderWithDetails(tb.orm.em.fork(), id)
  if (!o) throw new Error(`order ${id} missing`)
  return { status: o.status, failureReason: o.failureReason, timeline: o.timeline.getItems().map((e) => e.type) }
}
const ev = (def: Parameters<typeof makeEvent>[0], orderId: string, data: Record<string, unknown> = {}): CloudEvent =>
  makeEvent(def, { source: 'orderflow/test', subject: orderId, data: { orderId, ...data } })
const shipment = { shipmentId: randomUUID() }

t.test('the happy path moves the status forward and writes the timeline', async (t) => {
  const id = await place()
  await handle(ev(OrderConfirmed, id), ctx)
  t.match(await order(id), { status: 'CONFIRMED', timeline: ['CREATED', 'CONFIRMED'] })
  await handle(ev(ShipmentPicking, id, shipment), ctx)
  await handle(ev(ShipmentShipped, id, shipment), ctx)
  await handle(ev(ShipmentDelivered, id, shipment), ctx)
  t.match(await order(id), { status: 'DELIVERED', timeline: ['CREATED', 'CONFIRMED', 'PICKING', 'SHIPPED', 'DELIVERED'] })
})

t.test("the saga's steps and a refused cancellation go on the timeline without moving the status", async (t) => {
  const id = await place()
  await handle(ev(OrderProgressed, id, { step: 'STOCK_RESERVED' }), ctx)
  await handle(ev(OrderProgressed, id, { step: 'PAYMENT_AUTHORIZED', detail: 'visa ••4242' }), ctx)
  await handle(ev(OrderConfirmed, id), ctx)
  await handle(ev(OrderCancelRefused, id, { message: 'the parcel has left the warehouse' }), ctx)
  t.match(await order(id), { status: 'CONFIRMED', timeline: ['CREATED', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'CONFIRMED', 'CANCEL_REFUSED'] })
})

t.test('a redelivered event changes nothing (inbox)', async (t) => {
  const id = await place()
  const confirmed = ev(OrderConfirmed, id)
  await handle(confirmed, ctx)
  await handle(confirmed, { ...ctx, deliveryCount: 2 })
  t.match(await order(id), { status: 'CONFIRMED', timeline: ['CREATED', 'CONFIRMED'] })
})

t.test('failure records the machine and human reason', async (t) => {
  const id = await place()
  await handle(ev(OrderFailed, id, { reason: 'OUT_OF_STOCK', message: 'SKU-1 is out of stock' }), ctx)
  const o = await findOrderWithDetails(tb.orm.em.fork(), id)
  t.match(o, { status: 'FAILED', failureReason: 'OUT_OF_STOCK', failureMessage: 'SKU-1 is out of stock' })
  t.match(o?.timeline.getItems().at(-1), { type: 'FAILED', detail: 'SKU-1 is out of stock' })
})

t.test('a late or out-of-order event does not move a finished order', async (t) => {
  const id = await place()
  await handle(ev(OrderCancelled, id, { reason: 'customer asked' }), ctx)
  await handle(ev(OrderConfirmed, id), ctx)
  t.match(await order(id), { status: 'CANCELLED', timeline: ['CREATED', 'CANCELLED'] })

  const shipped = await place()
  await handle(ev(OrderConfirmed, shipped), ctx)
  await handle(ev(ShipmentDelivered, shipped, shipment), ctx)
  await handle(ev(ShipmentShipped, shipped, shipment), ctx)
  t.match(await order(shipped), { status: 'DELIVERED', timeline: ['CREATED', 'CONFIRMED', 'DELIVERED'] })
})

t.test('an event for an unknown order is permanent and leaves no inbox row', async (t) => {
  const unknown = ev(OrderConfirmed, randomUUID())
  await t.rejects(handle(unknown, ctx), PermanentError)
  const rows = await tb.orm.em.fork().execute('select 1 from inbox where event_id = ?', [unknown.id])
  t.equal(rows.length, 0, 'a replay after the cause is fixed will run the projection')
})

t.test('concurrent projections of one order serialise on its row', async (t) => {
  const id = await place()
  await Promise.all([handle(ev(OrderConfirmed, id), ctx), handle(ev(ShipmentPicking, id, shipment), ctx)])
  const o = await order(id)
  t.equal(o.status, 'CONFIRMED')
  t.same([...o.timeline].sort(), ['CONFIRMED', 'CREATED', 'PICKING'])
})

t.test('a batch projects several orders in one transaction, each event in turn', async (t) => {
  const handleBatch = projectionBatchHandler(tb.orm, 'order-saga')
  const [a, b] = [await place(), await place()]
  const events = [ev(OrderConfirmed, b), ev(OrderConfirmed, a), ev(ShipmentPicking, a, shipment), ev(ShipmentShipped, a, shipment)]
  await handleBatch(batchOf([...events, events[1]!]))
  t.match(await order(a), { status: 'SHIPPED', timeline: ['CREATED', 'CONFIRMED', 'PICKING', 'SHIPPED'] }, 'the repeated event applied once')
  t.match(await order(b), { status: 'CONFIRMED', timeline: ['CREATED', 'CONFIRMED'] })
  await handleBatch(batchOf(events))
  t.match(await order(a), { timeline: ['CREATED', 'CONFIRMED', 'PICKING', 'SHIPPED'] }, 'a redelivered batch changes nothing')
})

t.test('an event for an unknown order fails its batch, and nothing of the batch commits', async (t) => {
  const handleBatch = projectionBatchHandler(tb.orm, 'order-saga')
  const id = await place()
  await t.rejects(handleBatch(batchOf([ev(OrderConfirmed, id), ev(OrderConfirmed, randomUUID())])), PermanentError)
  t.match(await order(id), { status: 'PENDING', timeline: ['CREATED'] })
  await handle(ev(OrderConfirmed, id), ctx)
  t.match(await order(id), { status: 'CONFIRMED' }, 'the single handler then projects it')
})
