import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  OrderCancelRequested,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentRefunded,
  PaymentVoided,
  ShipmentCancelled,
  ShipmentCancelRefused,
  ShipmentShipped,
  StockCommitted,
  StockReleased,
  StockReserved,
} from '@orderflow/contracts'
import { eventually, sagaTestbed, untilMessages, type SagaTestbed } from './testbed.js'

const tb: SagaTestbed = await sagaTestbed(t)
await tb.startWorkers()

const items = [{ sku: 'SKU-1', quantity: 2 }]
const settled = (orderId: string) => ({ orderId, paymentId: randomUUID(), amount: 2500, currency: 'EUR' })
const cancel = (orderId: string, reason?: string) => tb.publish(OrderCancelRequested, orderId, { orderId, requestedBy: 'ada', ...(reason ? { reason } : {}) })

async function authorizing(): Promise<string> {
  const id = await tb.createOrder()
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await tb.publish(StockReserved, id, { orderId: id, items })
  await tb.untilState(id, 'AUTHORIZING')
  return id
}

async function confirmed(): Promise<string> {
  const id = await authorizing()
  await tb.publish(PaymentAuthorized, id, settled(id))
  await tb.untilState(id, 'CONFIRMED')
  return id
}

t.test('cancel while reserving: release, then CANCELLED with the reason', async (t) => {
  const id = await tb.createOrder()
  await tb.untilState(id, 'RESERVING')
  await cancel(id, 'changed my mind')
  await tb.untilState(id, 'COMPENSATING')
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.release'])
  t.same(await tb.messages('PAYMENTS', id, '.cmd.'), [], 'no payment to void: none was asked for')
  await tb.publish(StockReleased, id, { orderId: id })
  await tb.untilState(id, 'CANCELLED')
  const events = await untilMessages(tb, 'ORDERS', id, '.evt.saga.', ['order.progressed', 'order.progressed', 'order.cancelled'])
  t.same(events.at(-1)?.data, { orderId: id, reason: 'changed my mind' })
})

t.test('cancel while authorizing: release and void, then CANCELLED', async (t) => {
  const id = await authorizing()
  await cancel(id)
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.void'])
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.release'])
  await tb.publish(PaymentVoided, id, { orderId: id })
  await tb.publish(StockReleased, id, { orderId: id })
  const saga = await tb.untilState(id, 'CANCELLED')
  t.ok(saga.releasedAt && saga.voidedAt, 'both undone')
  await untilMessages(tb, 'ORDERS', id, '.evt.saga.cancelled', ['order.cancelled'])
})

t.test('cancel after confirmation: shipment cancelled → restock and refund → CANCELLED', async (t) => {
  const id = await confirmed()
  await tb.publish(StockCommitted, id, { orderId: id })
  await tb.publish(PaymentCaptured, id, settled(id))
  await cancel(id, 'found it cheaper')
  await tb.untilState(id, 'CANCELLING')
  await untilMessages(tb, 'FULFILLMENT', id, '.cmd.', ['fulfillment.create', 'fulfillment.cancel'])
  await tb.publish(ShipmentCancelled, id, { orderId: id })
  await tb.untilState(id, 'COMPENSATING')
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.commit', 'inventory.release'])
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.capture', 'payment.refund'])
  await tb.publish(StockReleased, id, { orderId: id })
  await tb.publish(PaymentRefunded, id, settled(id))
  const saga = await tb.untilState(id, 'CANCELLED')
  t.ok(saga.shipmentCancelledAt && saga.refundedAt && saga.releasedAt)
  const [cancelled] = await untilMessages(tb, 'ORDERS', id, '.evt.saga.cancelled', ['order.cancelled'])
  t.same(cancelled?.data, { orderId: id, reason: 'found it cheaper' })
})

t.test('cancel after shipment is refused; the order goes on', async (t) => {
  const id = await confirmed()
  await tb.publish(ShipmentShipped, id, { orderId: id, shipmentId: randomUUID() })
  await tb.untilState(id, 'SHIPPED')
  await cancel(id)
  const [refused] = await untilMessages(tb, 'ORDERS', id, '.evt.saga.cancel_refused', ['order.cancel_refused'])
  t.match(refused?.data, { message: /already left/ })
  t.equal((await tb.saga(id))?.state, 'SHIPPED')
  t.same((await tb.messages('FULFILLMENT', id, '.cmd.')).length, 1, 'no CancelShipment for a shipped order')
})

t.test('cancel after confirmation that fulfilment refuses: OrderCancelRefused, back to CONFIRMED', async (t) => {
  const id = await confirmed()
  await cancel(id)
  await tb.untilState(id, 'CANCELLING')
  await tb.publish(ShipmentCancelRefused, id, { orderId: id, status: 'SHIPPED' })
  const saga = await tb.untilState(id, 'CONFIRMED')
  t.ok(saga.cancelRefusedAt)
  await untilMessages(tb, 'ORDERS', id, '.evt.saga.cancel_refused', ['order.cancel_refused'])
  t.same(await tb.messages('INVENTORY', id, '.cmd.release'), [], 'nothing undone')
})

t.test('a cancel that overtakes order.created is remembered; the saga starts cancelled', async (t) => {
  const id = randomUUID()
  await cancel(id, 'too quick')
  await untilMessages(tb, 'ORDERS', id, '.evt.cancel_requested', ['order.cancel_requested'])
  // Handled (remembered), not dead-lettered: wait until the consumer has settled it.
  await eventually(async () => {
    const info = await tb.ctx.bus.jsm.consumers.info(tb.topology.stream('ORDERS'), 'orchestrator-cancel-requested')
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined
  }, 'the cancel handled')
  t.equal(await tb.saga(id), null)
  await tb.createOrder({ orderId: id })
  const saga = await tb.untilState(id, 'CANCELLED')
  t.equal(saga.cancelReason, 'too quick')
  const [cancelled] = await untilMessages(tb, 'ORDERS', id, '.evt.saga.', ['order.cancelled'])
  t.same(cancelled?.data, { orderId: id, reason: 'too quick' })
  t.same(await tb.messages('INVENTORY', id, '.cmd.'), [], 'nothing reserved')
  const [left] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from early_cancels where order_id = ?', [id])
  t.equal(Number(left?.n), 0, 'the remembered cancel is consumed')
})
