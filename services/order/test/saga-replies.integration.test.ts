import { randomUUID } from 'node:crypto'
import t from 'tap'
import { PermanentError } from '@orderflow/messaging'
import { eventually } from '@orderflow/testing/service'
import { orderTestbed, replies, sagaHarness, type SagaHarness } from './testbed.js'

// The three reply consumers called as the runner calls them (handleBatch: a real transaction,
// inbox, outbox, publish after commit), on orders placed through the API. Nothing runs in the
// background.
const tb = await orderTestbed(t)
const h: SagaHarness = sagaHarness(tb)
const { inventory, payments, fulfillment } = h.consumers
const address = { name: 'Ada', line1: '1 Loop St', city: 'London', postalCode: 'N1', country: 'GB' }

async function authorizing(): Promise<string> {
  const id = await h.place()
  await h.deliver(replies.reserved(id))
  return id
}

async function confirmed(overrides: Record<string, unknown> = {}): Promise<string> {
  const id = await h.place(overrides)
  await h.deliver(replies.reserved(id), replies.authorized(id))
  return id
}

/** Everything a reply may change about an order, without the times (which differ run to run). */
async function snapshot(id: string) {
  const saga = await h.saga(id)
  const order = await h.order(id)
  return {
    state: saga?.state,
    steps: Object.keys(saga?.progress ?? {}).sort(),
    failure: [saga?.progress.failureReason, saga?.progress.failureMessage],
    deadline: saga?.deadlineAt !== null,
    token: saga?.paymentToken,
    status: order.status,
    orderFailure: order.failure,
    timeline: order.timeline.map((e) => [e.type, e.detail]),
    sent: await h.outbox(id).then((m) => m.map((x) => [x.type, x.data])),
  }
}

t.test('StockReserved: AUTHORIZING, AuthorizePayment with the card token, STOCK_RESERVED on the timeline', async (t) => {
  const id = await h.place()
  t.match(await h.saga(id), { state: 'RESERVING', paymentToken: 'tok_visa', deadlineAt: Date })
  await h.handle(inventory, [replies.reserved(id)])

  t.match(await h.saga(id), { state: 'AUTHORIZING', paymentToken: 'tok_visa', deadlineAt: Date, progress: { reservedAt: String } })
  const sent = await h.outbox(id)
  t.same(
    sent.map((m) => m.type),
    ['order.created', 'inventory.reserve', 'payment.authorize'],
  )
  t.same(sent[2]?.data, { orderId: id, customerId: 'c-42', amount: 3499, currency: 'EUR', method: 'card', token: 'tok_visa' })
  t.equal(sent[2]?.subject, 'payment.cmd.authorize')
  t.notOk(JSON.stringify(sent[0]?.data).includes('tok_visa'), 'order.created carries no payment details')
  const order = await h.order(id)
  t.equal(order.status, 'PENDING', 'the order waits for the payment')
  t.same(
    order.timeline.map((e) => e.type),
    ['CREATED', 'STOCK_RESERVED'],
  )
  // Published right after the commit, by the process that committed (no relay runs here).
  await eventually(async () => ((await h.outbox(id)).every((m) => m.sentAt) ? true : undefined), 'every message marked sent')
})

t.test('PaymentAuthorized: CONFIRMED, with CommitStock, CapturePayment, OrderConfirmed and CreateShipment', async (t) => {
  const id = await authorizing()
  await h.handle(payments, [replies.authorized(id)])

  t.match(await h.saga(id), { state: 'CONFIRMED', deadlineAt: Date, progress: { authorizedAt: String, confirmedAt: String, shipmentRequestedAt: String } })
  const order = await h.order(id)
  t.equal(order.status, 'CONFIRMED')
  t.same(
    order.timeline.map((e) => e.type),
    ['CREATED', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'CONFIRMED'],
  )
  const sent = await h.outbox(id)
  t.same(
    sent.map((m) => m.type),
    ['order.created', 'inventory.reserve', 'payment.authorize', 'inventory.commit', 'payment.capture', 'order.confirmed', 'fulfillment.create'],
    'the timeline-only steps (order.progressed) are not published',
  )
  t.same(sent.at(-1)?.data, {
    orderId: id,
    customerId: 'c-42',
    items: [
      { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
      { sku: 'SKU-2', quantity: 1, unitPrice: 999 },
    ],
  })

  // With an address, the shipment carries it.
  const shipped = await confirmed({ shippingAddress: address })
  const create = (await h.outbox(shipped)).find((m) => m.type === 'fulfillment.create')
  t.same(create?.data.shippingAddress, address)
  t.same(
    (await h.outbox(shipped)).filter((m) => m.type === 'order.confirmed').map((m) => m.subject),
    ['order.evt.saga.confirmed'],
  )

  // Commit and capture answered: nothing is owed, the deadline goes.
  await h.handle(inventory, [replies.committed(id)])
  t.match(await h.saga(id), { state: 'CONFIRMED', deadlineAt: Date })
  await h.handle(payments, [replies.captured(id)])
  t.match(await h.saga(id), { state: 'CONFIRMED', deadlineAt: null, progress: { committedAt: String, capturedAt: String } })
  t.same((await h.timeline(id)).slice(4), ['STOCK_COMMITTED', 'PAYMENT_CAPTURED'])
})

t.test('StockRejected: FAILED OUT_OF_STOCK with the human message; OrderFailed published, no payment asked', async (t) => {
  const id = await h.place()
  await h.handle(inventory, [replies.rejected(id)])
  t.match(await h.saga(id), { state: 'FAILED', deadlineAt: null, paymentToken: null, progress: { failureReason: 'OUT_OF_STOCK' } })
  const order = await h.order(id)
  const message = 'Some items are out of stock: SKU-1 (requested 2, available 1).'
  t.match(order, { status: 'FAILED', failure: { reason: 'OUT_OF_STOCK', message } })
  t.same(
    order.timeline.map((e) => [e.type, e.detail]),
    [
      ['CREATED', undefined],
      ['FAILED', message],
    ],
  )
  const sent = await h.outbox(id)
  t.same(
    sent.map((m) => m.type),
    ['order.created', 'inventory.reserve', 'order.failed'],
  )
  t.same(sent[2]?.data, { orderId: id, reason: 'OUT_OF_STOCK', message })
  t.equal(sent[2]?.subject, 'order.evt.saga.failed')
})

t.test('PaymentDeclined: COMPENSATING (release and void), then FAILED PAYMENT_DECLINED once both are confirmed', async (t) => {
  const id = await authorizing()
  await h.handle(payments, [replies.declined(id)])
  t.match(await h.saga(id), { state: 'COMPENSATING', deadlineAt: Date, progress: { releaseRequestedAt: String, voidRequestedAt: String } })
  t.equal((await h.order(id)).status, 'PENDING', 'still undoing: the order shows no outcome yet')
  t.same((await h.sent(id)).slice(3), ['inventory.release', 'payment.void'])
  t.match((await h.outbox(id))[3]?.data, { orderId: id, reason: 'PAYMENT_DECLINED' })

  await h.handle(inventory, [replies.released(id)])
  t.match(await h.saga(id), { state: 'COMPENSATING', progress: { releasedAt: String } }, 'still waiting for the void')
  await h.handle(payments, [replies.voided(id)])
  const message = 'The payment was declined: Insufficient funds.'
  t.match(await h.saga(id), { state: 'FAILED', deadlineAt: null, progress: { failureReason: 'PAYMENT_DECLINED', failureMessage: message } })
  const order = await h.order(id)
  t.match(order, { status: 'FAILED', failure: { reason: 'PAYMENT_DECLINED', message } })
  t.same(
    order.timeline.map((e) => e.type),
    ['CREATED', 'STOCK_RESERVED', 'COMPENSATING', 'STOCK_RELEASED', 'PAYMENT_VOIDED', 'FAILED'],
  )
  t.same((await h.sent(id)).slice(3), ['inventory.release', 'payment.void', 'order.failed'])
})

t.test('PaymentDeclined PROVIDER_TIMEOUT: compensated as a decline, then FAILED TIMEOUT', async (t) => {
  const id = await authorizing()
  await h.handle(payments, [replies.declined(id, 'The payment provider did not answer in time. Nothing was charged.', 'PROVIDER_TIMEOUT')])
  t.same((await h.sent(id)).slice(3), ['inventory.release', 'payment.void'])
  await h.handle(inventory, [replies.released(id)])
  await h.handle(payments, [replies.voided(id)])
  t.match(await h.order(id), { status: 'FAILED', failure: { reason: 'TIMEOUT', message: /payment provider did not answer in time.*Nothing was charged/ } })
})

t.test('shipment events move the order SHIPPED, DELIVERED and the timeline (PICKING, SHIPPED, DELIVERED)', async (t) => {
  const id = await confirmed()
  await h.deliver(replies.committed(id), replies.captured(id))
  await h.handle(fulfillment, [replies.picking(id)])
  t.equal((await h.order(id)).status, 'CONFIRMED', 'picking is news, not a status')
  await h.handle(fulfillment, [replies.shipped(id)])
  t.equal((await h.order(id)).status, 'SHIPPED')
  t.match(await h.saga(id), { state: 'SHIPPED', deadlineAt: null, progress: { shippedAt: String } })
  await h.handle(fulfillment, [replies.delivered(id)])
  t.equal((await h.order(id)).status, 'DELIVERED')
  t.match(await h.saga(id), { state: 'DELIVERED', progress: { deliveredAt: String } })
  const timeline = ['CREATED', 'STOCK_RESERVED', 'PAYMENT_AUTHORIZED', 'CONFIRMED', 'STOCK_COMMITTED', 'PAYMENT_CAPTURED', 'PICKING', 'SHIPPED', 'DELIVERED']
  t.same(await h.timeline(id), timeline)

  // The same facts again under new event ids (a participant re-sending), or late: nothing moves.
  const before = await snapshot(id)
  await h.handle(fulfillment, [replies.picking(id), replies.shipped(id), replies.delivered(id)])
  t.same(await snapshot(id), before, 'no second SHIPPED or DELIVERED entry, no late PICKING')
  t.same(await h.sent(id), ['order.created', 'inventory.reserve', 'payment.authorize', 'inventory.commit', 'payment.capture', 'order.confirmed', 'fulfillment.create'])
})

t.test('a batch (two events for one order, a duplicate event id) gives what handling one by one gives', async (t) => {
  // Two identical worlds: orders a1/b1/c1 get one batch per consumer, a2/b2/c2 the same events one by one.
  const [a1, a2, b1, b2] = [await authorizing(), await authorizing(), await authorizing(), await authorizing()]
  const [c1, c2] = [await confirmed(), await confirmed()]
  const paymentEvents = (a: string, b: string) => {
    const authorized = replies.authorized(a)
    return [authorized, replies.declined(b, 'Card declined.'), replies.captured(a), authorized]
  }
  const shipmentEvents = (c: string) => {
    const [picking, shipped] = [replies.picking(c), replies.shipped(c)]
    return [picking, picking, shipped, replies.delivered(c), shipped]
  }
  await h.handle(payments, paymentEvents(a1, b1))
  await h.handle(fulfillment, shipmentEvents(c1))
  for (const event of paymentEvents(a2, b2)) await h.handle(payments, [event])
  for (const event of shipmentEvents(c2)) await h.handle(fulfillment, [event])

  const same = async (one: string, other: string) => {
    const [x, y] = [await snapshot(one), await snapshot(other)]
    // The worlds differ only in their order ids.
    t.same(JSON.parse(JSON.stringify(x).replaceAll(one, 'ID')), JSON.parse(JSON.stringify(y).replaceAll(other, 'ID')))
    return x
  }
  t.match(await same(a1, a2), { state: 'CONFIRMED', status: 'CONFIRMED', steps: ['authorizedAt', 'capturedAt', 'confirmedAt', 'reservedAt', 'shipmentRequestedAt'] })
  t.match(await same(b1, b2), { state: 'COMPENSATING', status: 'PENDING' })
  t.match(await same(c1, c2), { state: 'DELIVERED', status: 'DELIVERED' })
  t.same((await h.timeline(a1)).filter((e) => e === 'CONFIRMED'), ['CONFIRMED'], 'the repeated event moved its saga once')
  t.same((await h.sent(a1)).filter((e) => e === 'order.confirmed'), ['order.confirmed'])
  t.same((await h.timeline(c1)).filter((e) => e === 'PICKING'), ['PICKING'], 'a copy in the same batch as its first is handled once')
})

t.test("three consumers' batches over the same sagas at once, in opposite orders: every fact applies", async (t) => {
  const orders = await Promise.all(Array.from({ length: 6 }, () => confirmed()))
  const before = await Promise.all(orders.map(async (id) => (await h.saga(id))?.version ?? 0))
  await Promise.all([
    h.handle(inventory, orders.map(replies.committed)),
    h.handle(payments, [...orders].reverse().map(replies.captured)),
    h.handle(fulfillment, orders.map(replies.shipped)),
  ])
  for (const [i, id] of orders.entries()) {
    const saga = await h.saga(id)
    t.match(saga, { state: 'SHIPPED', deadlineAt: null, progress: { committedAt: String, capturedAt: String, shippedAt: String } }, 'none overwrote another')
    t.equal(saga?.version, (before[i] ?? 0) + 3, 'one move per batch')
    t.equal((await h.order(id)).status, 'SHIPPED')
  }
})

t.test('an event for an order that does not exist fails with PermanentError, and nothing of its batch commits', async (t) => {
  const stranger = randomUUID()
  await t.rejects(h.handle(inventory, [replies.reserved(stranger)]), PermanentError)
  await t.rejects(h.handle(inventory, [replies.reserved(stranger)]), /has no saga/, 'not remembered as handled: it fails again')

  const id = await h.place()
  const reserved = replies.reserved(id)
  await t.rejects(h.handle(inventory, [reserved, replies.reserved(stranger)]), PermanentError)
  t.match(await h.saga(id), { state: 'RESERVING', version: 1 }, 'its neighbour rolled back with it')
  const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from inbox where event_id = ?', [reserved.id])
  t.equal(Number(row?.n), 0, 'no inbox row: the runner re-runs the neighbour alone')
  await h.handle(inventory, [reserved])
  t.equal((await h.saga(id))?.state, 'AUTHORIZING')

  // A subject that is no order id at all is as permanent (and fails before any SQL).
  const odd = { ...replies.reserved(randomUUID()), subject: 'not-an-order' }
  await t.rejects(h.handle(inventory, [odd]), PermanentError)
})

t.test('redelivery of the same event changes nothing; nor does the same fact under a new id', async (t) => {
  const id = await h.place()
  const reserved = replies.reserved(id)
  await h.handle(inventory, [reserved])
  const before = { saga: await h.saga(id), snapshot: await snapshot(id) }
  await h.handle(inventory, [reserved])
  await h.handle(inventory, [reserved, reserved])
  t.same({ saga: await h.saga(id), snapshot: await snapshot(id) }, before, 'redelivered: the inbox knows it')
  await h.handle(inventory, [replies.reserved(id)])
  t.same({ saga: await h.saga(id), snapshot: await snapshot(id) }, before, 'a new id for the same fact: the saga knows it')
  t.equal(before.saga?.version, 2, 'one move after the start')
})
