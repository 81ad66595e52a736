import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  isEventOf,
  OrderProgressed,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentVoided,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  StockCommitted,
  StockRejected,
  StockReleased,
  StockReserved,
} from '@orderflow/contracts'
import { sagaTestbed, short, untilMessages, eventually } from './testbed.js'

const tb = await sagaTestbed(t)
await tb.startWorkers()

const items = [{ sku: 'SKU-1', quantity: 2 }]
const settled = (orderId: string) => ({ orderId, paymentId: randomUUID(), amount: 2500, currency: 'EUR' })
const shipment = (orderId: string) => ({ orderId, shipmentId: randomUUID(), carrier: 'DHL' })

t.test('happy path: the right commands in the right order, to CONFIRMED, then SHIPPED and DELIVERED', async (t) => {
  const id = await tb.createOrder({ shippingAddress: { name: 'Ada', line1: '1 Loop St', city: 'London', postalCode: 'N1', country: 'GB' } })
  const [reserve] = await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve'])
  t.same(reserve?.data, { orderId: id, items })
  t.equal(reserve?.source, 'orderflow/orchestrator')
  t.same(await tb.messages('PAYMENTS', id, '.cmd.'), [], 'no payment before the stock is reserved')

  await tb.publish(StockReserved, id, { orderId: id, items })
  const [authorize] = await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize'])
  t.same(authorize?.data, { orderId: id, amount: 2500, currency: 'EUR', method: 'card', token: 'tok_visa' })
  t.match(await tb.saga(id), { state: 'AUTHORIZING', paymentToken: null })

  await tb.publish(PaymentAuthorized, id, settled(id))
  await tb.untilState(id, 'CONFIRMED')
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.commit'])
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.capture'])
  const [create] = await untilMessages(tb, 'FULFILLMENT', id, '.cmd.', ['fulfillment.create'])
  t.match(create?.data, { orderId: id, items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }], shippingAddress: { city: 'London' } })

  await tb.publish(StockCommitted, id, { orderId: id })
  await tb.publish(PaymentCaptured, id, settled(id))
  await tb.publish(ShipmentPicking, id, shipment(id))
  await eventually(async () => ((await tb.saga(id))?.capturedAt && (await tb.saga(id))?.committedAt ? true : undefined), 'settlement')
  t.equal((await tb.saga(id))?.deadlineAt, null, 'nothing owed once settled: no deadline')
  await tb.publish(ShipmentShipped, id, shipment(id))
  await tb.untilState(id, 'SHIPPED')
  await tb.publish(ShipmentDelivered, id, shipment(id))
  await tb.untilState(id, 'DELIVERED')
  await untilMessages(tb, 'ORDERS', id, '.evt.saga.', [
    'order.progressed',
    'order.progressed',
    'order.confirmed',
    'order.progressed',
    'order.progressed',
  ])
  const steps = (await tb.messages('ORDERS', id, '.evt.saga.progressed')).flatMap((e) => (isEventOf(OrderProgressed, e) ? [e.data.step] : []))
  t.same(steps.slice(0, 2), ['STOCK_RESERVED', 'PAYMENT_AUTHORIZED'])
  // Commit and capture are answered on two streams, read by two consumers: either may come first.
  t.same(steps.slice(2).sort(), ['PAYMENT_CAPTURED', 'STOCK_COMMITTED'])
})

t.test('out of stock: FAILED OUT_OF_STOCK, and no payment is ever asked for', async (t) => {
  const id = await tb.createOrder()
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await tb.publish(StockRejected, id, { orderId: id, reason: 'OUT_OF_STOCK', unavailable: [{ sku: 'SKU-1', requested: 2, available: 0 }] })
  const saga = await tb.untilState(id, 'FAILED')
  t.match(saga, { failureReason: 'OUT_OF_STOCK', deadlineAt: null })
  const [failed] = await untilMessages(tb, 'ORDERS', id, '.evt.saga.', ['order.failed'])
  t.match(failed?.data, { reason: 'OUT_OF_STOCK', message: /SKU-1/ })
  t.same(await tb.messages('PAYMENTS', id, '.cmd.'), [])
})

t.test('declined payment: release and void, then FAILED PAYMENT_DECLINED with the human message', async (t) => {
  const id = await tb.createOrder()
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await tb.publish(StockReserved, id, { orderId: id, items })
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize'])
  await tb.publish(PaymentDeclined, id, { orderId: id, reason: 'INSUFFICIENT_FUNDS', message: 'Insufficient funds.' })
  await tb.untilState(id, 'COMPENSATING')
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.release'])
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.void'])
  await tb.publish(StockReleased, id, { orderId: id })
  await eventually(async () => ((await tb.saga(id))?.releasedAt ? true : undefined), 'release recorded')
  t.equal((await tb.saga(id))?.state, 'COMPENSATING', 'still waiting for the void')
  await tb.publish(PaymentVoided, id, { orderId: id })
  const saga = await tb.untilState(id, 'FAILED')
  t.match(saga, { failureReason: 'PAYMENT_DECLINED', failureMessage: 'The payment was declined: Insufficient funds.' })
  const sagaEvents = await untilMessages(tb, 'ORDERS', id, '.evt.saga.', ['order.progressed', 'order.progressed', 'order.progressed', 'order.progressed', 'order.failed'])
  t.match(sagaEvents.at(-1)?.data, { reason: 'PAYMENT_DECLINED', message: /Insufficient funds/ })
})

t.test('an order without payment details fails INVALID_ORDER without reserving', async (t) => {
  const id = await tb.createOrder({ payment: undefined })
  await tb.untilState(id, 'FAILED')
  await untilMessages(tb, 'ORDERS', id, '.evt.saga.', ['order.failed'])
  t.same(await tb.messages('INVENTORY', id, '.cmd.'), [])
})

t.test('a timeout while authorizing compensates; a late PaymentAuthorized is voided again', async (t) => {
  const id = await tb.createOrder()
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve'])
  await tb.publish(StockReserved, id, { orderId: id, items })
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize'])
  // The step timeout here is the default 10 s; pass the deadline instead of waiting for it.
  await tb.orm.em.fork().execute(`update sagas set deadline_at = now() - interval '1 second' where order_id = ?`, [id])
  await tb.untilState(id, 'COMPENSATING')
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.void'])
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve', 'inventory.release'])
  await tb.publish(StockReleased, id, { orderId: id })
  await tb.publish(PaymentVoided, id, { orderId: id })
  const saga = await tb.untilState(id, 'FAILED')
  t.match(saga, { failureReason: 'TIMEOUT', failureMessage: /took too long/ })

  await tb.publish(PaymentAuthorized, id, settled(id))
  await untilMessages(tb, 'PAYMENTS', id, '.cmd.', ['payment.authorize', 'payment.void', 'payment.void'])
  t.equal((await tb.saga(id))?.state, 'FAILED', 'the late authorization did not revive the saga')
})

t.test('a duplicate event (same id, past the duplicate window) makes one transition', async (t) => {
  const id = await tb.createOrder()
  await untilMessages(tb, 'INVENTORY', id, '.cmd.', ['inventory.reserve'])
  const reserved = await tb.publish(StockReserved, id, { orderId: id, items })
  // A second copy under another Nats-Msg-Id, as a redelivery or a replay arrives.
  await tb.ctx.bus.js.publish(tb.topology.subject(StockReserved.subject), JSON.stringify(reserved), { msgID: randomUUID() })
  // And the same fact under a new event id: the state machine ignores it.
  await tb.publish(StockReserved, id, { orderId: id, items })
  await tb.untilState(id, 'AUTHORIZING')
  await eventually(async () => {
    const info = await tb.ctx.bus.jsm.consumers.info(tb.topology.stream('INVENTORY'), 'orchestrator-inventory')
    return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined
  }, 'all copies settled')
  t.same((await tb.messages('PAYMENTS', id, '.cmd.')).map(short), ['payment.authorize'], 'one AuthorizePayment')
  t.equal((await tb.saga(id))?.version, 2, 'one transition after the start')
  const [row] = await tb.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from inbox where event_id = ?`, [reserved.id])
  t.equal(Number(row?.n), 1)
})

t.test('an event for an order without a saga is dead-lettered at once', async (t) => {
  const id = randomUUID()
  const event = await tb.publish(StockReserved, id, { orderId: id, items })
  const dl = await eventually(async () => (await tb.ctx.deadLetters.list({ limit: 50 })).find((d) => d.eventId === event.id), 'the dead letter')
  t.match(dl, { reason: 'permanent', error: /has no saga/, origin: { consumer: 'orchestrator-inventory' } })
})
