import t from 'tap'
import { HumanMessages } from '../src/saga/saga-messages.js'
import { orderTestbed, replies, sagaHarness } from './testbed.js'

// POST /v1/orders/:id/cancel at each stage of the saga: the saga decides in the request's own
// transaction, and the participants' answers come through the reply consumers (handleBatch).
const tb = await orderTestbed(t)
const h = sagaHarness(tb)

async function authorizing(): Promise<string> {
  const id = await h.place()
  await h.deliver(replies.reserved(id))
  return id
}

async function confirmed(): Promise<string> {
  const id = await authorizing()
  await h.deliver(replies.authorized(id))
  return id
}

const intake = ['order.created', 'inventory.reserve']
const confirmation = [...intake, 'payment.authorize', 'inventory.commit', 'payment.capture', 'order.confirmed', 'fulfillment.create']

t.test('PENDING, reserving: release (no void), then CANCELLED with the reason', async (t) => {
  const id = await h.place()
  const res = await h.cancel(id, 'changed my mind')
  t.equal(res.statusCode, 202)
  t.match(res.body, { id, status: 'PENDING', cancellation: 'REQUESTED', links: { self: `/v1/orders/${id}` } })
  t.match(await h.saga(id), { state: 'COMPENSATING', progress: { cancelRequestedAt: String, cancelReason: 'changed my mind', releaseRequestedAt: String } })
  t.same(await h.sent(id), [...intake, 'inventory.release'], 'no payment to void: none was asked for')
  t.match((await h.outbox(id))[2]?.data, { orderId: id, reason: 'CANCELLED' })
  t.same(
    (await h.order(id)).timeline.map((e) => [e.type, e.detail]),
    [
      ['CREATED', undefined],
      ['CANCEL_REQUESTED', 'changed my mind'],
      ['COMPENSATING', 'Cancelled at your request: changed my mind'],
    ],
  )

  await h.deliver(replies.released(id))
  t.match(await h.saga(id), { state: 'CANCELLED', deadlineAt: null })
  const order = await h.order(id)
  t.equal(order.status, 'CANCELLED')
  t.notOk(order.failure, 'a cancellation is no failure')
  t.same(order.timeline.slice(-2).map((e) => [e.type, e.detail]), [
    ['STOCK_RELEASED', undefined],
    ['CANCELLED', 'changed my mind'],
  ])
  const sent = await h.outbox(id)
  t.same(
    sent.map((m) => m.type),
    [...intake, 'inventory.release', 'order.cancelled'],
  )
  t.same(sent.at(-1)?.data, { orderId: id, reason: 'changed my mind' })
  t.equal((await h.cancel(id)).statusCode, 409, 'once cancelled, no more')
})

t.test('AUTHORIZING: release and void, then CANCELLED once both are confirmed', async (t) => {
  const id = await authorizing()
  const res = await h.cancel(id)
  t.match(res, { statusCode: 202, body: { status: 'PENDING' } })
  t.same((await h.sent(id)).slice(3), ['inventory.release', 'payment.void'])
  await h.deliver(replies.voided(id))
  t.equal((await h.saga(id))?.state, 'COMPENSATING', 'still waiting for the release')
  await h.deliver(replies.released(id))
  t.match(await h.saga(id), { state: 'CANCELLED', progress: { releasedAt: String, voidedAt: String } })
  t.equal((await h.order(id)).status, 'CANCELLED')
  t.same(await h.timeline(id), ['CREATED', 'STOCK_RESERVED', 'CANCEL_REQUESTED', 'COMPENSATING', 'PAYMENT_VOIDED', 'STOCK_RELEASED', 'CANCELLED'])
  const cancelled = (await h.outbox(id)).at(-1)
  t.match(cancelled, { type: 'order.cancelled', subject: 'order.evt.saga.cancelled' })
  t.same(cancelled?.data, { orderId: id }, 'no reason given, none sent')
})

t.test('CONFIRMED: CancelShipment; stopped → restock, and the refund waits for the capture it undoes', async (t) => {
  const id = await confirmed()
  await h.deliver(replies.committed(id))
  const res = await h.cancel(id, 'found it cheaper')
  t.match(res, { statusCode: 202, body: { status: 'CONFIRMED' } })
  t.match(await h.saga(id), { state: 'CANCELLING', progress: { shipmentCancelRequestedAt: String } })
  t.same(await h.sent(id), [...confirmation, 'fulfillment.cancel'])

  await h.deliver(replies.shipmentCancelled(id))
  t.match(await h.saga(id), { state: 'COMPENSATING', progress: { shipmentCancelledAt: String, releaseRequestedAt: String } })
  t.same((await h.sent(id)).slice(confirmation.length + 1), ['inventory.release'], 'no refund before the capture is confirmed')
  t.equal((await h.order(id)).status, 'CONFIRMED')

  await h.deliver(replies.captured(id))
  t.same((await h.sent(id)).slice(confirmation.length + 1), ['inventory.release', 'payment.refund'], 'captured: now refund it')
  await h.deliver(replies.released(id))
  t.equal((await h.saga(id))?.state, 'COMPENSATING', 'waiting for the refund')
  await h.deliver(replies.refunded(id))
  t.match(await h.saga(id), { state: 'CANCELLED', deadlineAt: null, progress: { refundedAt: String, releasedAt: String } })
  t.equal((await h.order(id)).status, 'CANCELLED')
  t.same((await h.outbox(id)).at(-1)?.data, { orderId: id, reason: 'found it cheaper' })
  t.same((await h.timeline(id)).slice(4), [
    'STOCK_COMMITTED',
    'CANCEL_REQUESTED',
    'SHIPMENT_CANCELLED',
    'COMPENSATING',
    'PAYMENT_CAPTURED',
    'STOCK_RELEASED',
    'PAYMENT_REFUNDED',
    'CANCELLED',
  ])
})

t.test('CONFIRMED, and fulfilment refuses: back to CONFIRMED, CANCEL_REFUSED on the timeline only', async (t) => {
  const id = await confirmed()
  t.equal((await h.cancel(id)).statusCode, 202)
  await h.deliver(replies.cancelRefused(id))
  t.match(await h.saga(id), { state: 'CONFIRMED', progress: { cancelRefusedAt: String } })
  t.equal((await h.order(id)).status, 'CONFIRMED')
  t.match((await h.order(id)).timeline.at(-1), { type: 'CANCEL_REFUSED', detail: HumanMessages.cancelRefused })
  t.same(await h.sent(id), [...confirmation, 'fulfillment.cancel'], 'nothing undone; the refusal is not published')
})

t.test('SHIPPED (or later): 409, and the saga goes on untouched', async (t) => {
  const id = await confirmed()
  await h.deliver(replies.shipped(id))
  const before = { saga: await h.saga(id), sent: await h.sent(id), timeline: await h.timeline(id) }
  const res = await h.cancel(id)
  t.equal(res.statusCode, 409)
  t.match(res.body, { code: 'ORDER_NOT_CANCELLABLE', status: 409, orderId: id, detail: /SHIPPED/ })
  t.same({ saga: await h.saga(id), sent: await h.sent(id), timeline: await h.timeline(id) }, before)

  const rejected = await h.place()
  await h.deliver(replies.rejected(rejected))
  t.equal((await h.cancel(rejected)).statusCode, 409, 'FAILED')
})

t.test('a cancel racing a reply on the same order: both apply, one after the other', async (t) => {
  for (let round = 0; round < 4; round++) {
    const id = await authorizing()
    const [cancel] = await Promise.all([h.cancel(id, 'race'), h.deliver(replies.authorized(id))])
    t.equal(cancel.statusCode, 202)
    const saga = await h.saga(id)
    const sent = await h.sent(id)
    if (saga?.state === 'CANCELLING') {
      // Authorized first: confirmed, then the cancel asked fulfilment.
      t.same(sent, [...confirmation, 'fulfillment.cancel'], 'authorized, then cancelled')
    } else {
      // Cancelled first: the late authorization is voided (again).
      t.equal(saga?.state, 'COMPENSATING', 'cancelled, then authorized late')
      t.same(sent.slice(3), ['inventory.release', 'payment.void', 'payment.void'])
      t.equal((await h.order(id)).status, 'PENDING')
    }
  }
})
