import t from 'tap'
import { applyToSaga } from '../src/saga/saga-machine.js'
import { startSaga } from '../src/saga/saga-start.js'
import type { SagaInput } from '../src/saga/saga-input.js'
import type { Clock, Saga } from '../src/saga/saga.js'
import { after, clock, giveUpClock, ORDER_ID, sagaIn, sent, T0 } from './saga-fixtures.js'

/** Feeds inputs one after the other at `at`; returns the final saga and what each step sent. */
function runAt(at: Clock, saga: Saga, ...inputs: SagaInput[]): { saga: Saga; sent: string[][] } {
  const log: string[][] = []
  for (const input of inputs) {
    const tr = applyToSaga(saga, input, at)
    log.push(sent(tr))
    saga = after(saga, tr)
  }
  return { saga, sent: log }
}
const run = (saga: Saga, ...inputs: SagaInput[]) => runAt(clock, saga, ...inputs)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const created = {
  orderId: ORDER_ID,
  customerId: 'c-1',
  email: 'ada@example.com',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
  totalAmount: 2500,
  payment: { method: 'card' as const, token: 'tok_visa' },
}

t.test('a new order starts RESERVING with ReserveStock for its lines', async (t) => {
  const start = startSaga(created, clock)
  t.match(start.saga, { state: 'RESERVING', paymentToken: 'tok_visa', deadlineAt: new Date(clock.now.getTime() + 10_000) })
  t.same(start.send.map((o) => o.data), [{ orderId: ORDER_ID, items: [{ sku: 'SKU-1', quantity: 2 }] }])
  t.equal(start.outcome, undefined)
})

t.test('an order without payment details fails INVALID_ORDER at once, reserving nothing', async (t) => {
  const { payment: _none, ...unpaid } = created
  const start = startSaga(unpaid, clock)
  t.match(start.saga, { state: 'FAILED', failureReason: 'INVALID_ORDER' })
  t.match(start.send, [{ definition: { subject: 'order.evt.saga.failed' }, data: { reason: 'INVALID_ORDER', message: /no payment details/ } }])
  t.equal(start.outcome, 'FAILED')
})

t.test('happy path: reserve → authorize → confirm (commit, capture, confirmed, shipment) → settle → ship → deliver', async (t) => {
  const reserved = applyToSaga(sagaIn.RESERVING, { kind: 'reserved' }, clock)
  t.same(sent(reserved), ['order.progressed:STOCK_RESERVED', 'payment.authorize'])
  t.same(reserved.send[1]?.data, { orderId: ORDER_ID, customerId: 'c-42', amount: 3499, currency: 'EUR', method: 'card', token: 'tok_visa' })
  t.notOk('paymentToken' in reserved.changes, 'the card token is kept while the authorization may be asked again')
  const { saga, sent: log } = run(after(sagaIn.RESERVING, reserved), { kind: 'authorized' }, { kind: 'committed' }, { kind: 'captured' }, { kind: 'shipped' }, { kind: 'delivered' })
  t.equal(saga.paymentToken, null, 'and dropped once it is authorized')
  t.same(log, [
    ['order.progressed:PAYMENT_AUTHORIZED', 'inventory.commit', 'payment.capture', 'order.confirmed', 'fulfillment.create'],
    ['order.progressed:STOCK_COMMITTED'],
    ['order.progressed:PAYMENT_CAPTURED'],
    [],
    [],
  ])
  t.match(saga, { state: 'DELIVERED', deadlineAt: null, committedAt: clock.now, capturedAt: clock.now, deliveredAt: clock.now })
  t.equal(applyToSaga(sagaIn.AUTHORIZING, { kind: 'authorized' }, clock).outcome, 'CONFIRMED')
  const create = applyToSaga(sagaIn.AUTHORIZING, { kind: 'authorized' }, clock).send[4]
  t.match(create?.data, { items: sagaIn.AUTHORIZING.items, shippingAddress: { city: 'London' } })
})

t.test('out of stock fails at once with the lines in the message; an unknown SKU is an invalid order', async (t) => {
  const oos = applyToSaga(sagaIn.RESERVING, { kind: 'rejected', rejection: { orderId: ORDER_ID, reason: 'OUT_OF_STOCK', unavailable: [{ sku: 'SKU-1', requested: 2, available: 1 }] } }, clock)
  t.same(sent(oos), ['order.failed'])
  t.match(oos, { outcome: 'FAILED', changes: { state: 'FAILED', failureReason: 'OUT_OF_STOCK', failureMessage: 'Some items are out of stock: SKU-1 (requested 2, available 1).', deadlineAt: null } })
  const unknown = applyToSaga(sagaIn.RESERVING, { kind: 'rejected', rejection: { orderId: ORDER_ID, reason: 'UNKNOWN_SKU', unavailable: [] } }, clock)
  t.match(unknown.changes, { failureReason: 'INVALID_ORDER', failureMessage: 'The order names items we do not sell.' })
})

t.test('declined: release and void, then FAILED PAYMENT_DECLINED once both are confirmed', async (t) => {
  const declined = applyToSaga(sagaIn.AUTHORIZING, { kind: 'declined', reason: 'INSUFFICIENT_FUNDS', message: 'Insufficient funds.' }, clock)
  t.same(sent(declined), ['order.progressed:COMPENSATING', 'inventory.release', 'payment.void'])
  const { saga, sent: log } = run(after(sagaIn.AUTHORIZING, declined), { kind: 'released' }, { kind: 'voided' })
  t.same(log, [['order.progressed:STOCK_RELEASED'], ['order.progressed:PAYMENT_VOIDED', 'order.failed']])
  t.match(saga, { state: 'FAILED', failureReason: 'PAYMENT_DECLINED', failureMessage: 'The payment was declined: Insufficient funds.', deadlineAt: null })
  const long = applyToSaga(sagaIn.AUTHORIZING, { kind: 'declined', reason: 'CARD_DECLINED', message: 'x'.repeat(500) }, clock)
  t.equal(long.changes.failureMessage?.length, 500, 'the message is clipped to the contract limit')
  // Both parities, so one of them puts a pair across the cut.
  for (const message of [`a${'😀'.repeat(300)}`, `ab${'😀'.repeat(300)}`]) {
    const clipped = applyToSaga(sagaIn.AUTHORIZING, { kind: 'declined', reason: 'CARD_DECLINED', message }, clock).changes.failureMessage ?? ''
    t.ok(clipped.length <= 500 && !LONE_SURROGATE.test(clipped), 'never half an emoji: a surrogate pair is kept whole or left out')
  }
})

t.test('declined because the provider did not answer in time: compensated as a decline, FAILED TIMEOUT', async (t) => {
  const declined = applyToSaga(sagaIn.AUTHORIZING, { kind: 'declined', reason: 'PROVIDER_TIMEOUT', message: 'The payment provider did not answer in time.' }, clock)
  t.same(sent(declined), ['order.progressed:COMPENSATING', 'inventory.release', 'payment.void'], 'release and void, long before the give-up time')
  t.match(declined.send[0]?.data, { detail: /payment provider did not answer in time/ })
  const { saga, sent: log } = run(after(sagaIn.AUTHORIZING, declined), { kind: 'voided' }, { kind: 'released' })
  t.same(log, [['order.progressed:PAYMENT_VOIDED'], ['order.progressed:STOCK_RELEASED', 'order.failed']])
  t.match(saga, { state: 'FAILED', failureReason: 'TIMEOUT', failureMessage: /payment provider did not answer in time.*Nothing was charged/, paymentToken: null, deadlineAt: null })
  // The payment service replays its decline to every AuthorizePayment the deadline re-sent.
  const replayed: SagaInput = { kind: 'declined', reason: 'PROVIDER_TIMEOUT', message: 'again' }
  t.same(sent(applyToSaga(after(sagaIn.AUTHORIZING, declined), replayed, clock)), [], 'ignored while compensating')
  t.same(sent(applyToSaga(saga, replayed, clock)), [], 'and once failed')
  for (const reason of ['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'VOIDED'] as const) {
    t.match(applyToSaga(sagaIn.AUTHORIZING, { kind: 'declined', reason, message: 'No.' }, clock).changes, { failureReason: 'PAYMENT_DECLINED' }, `${reason} stays PAYMENT_DECLINED`)
  }
})

t.test('a verdict step past its deadline asks again, until the give-up time', async (t) => {
  const r = applyToSaga(sagaIn.RESERVING, { kind: 'deadline' }, clock)
  t.same(sent(r), ['inventory.reserve'], 'ReserveStock again: inventory answers a repeated order with its first verdict')
  t.same(r.changes, { deadlineAt: new Date(clock.now.getTime() + clock.stepTimeoutMs) })
  t.same(r.send[0]?.data, { orderId: ORDER_ID, items: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1 }] })

  const a = applyToSaga(sagaIn.AUTHORIZING, { kind: 'deadline' }, clock)
  t.same(sent(a), ['payment.authorize'], 'AuthorizePayment again, with the token kept for it')
  t.match(a.send[0]?.data, { orderId: ORDER_ID, amount: 3499, currency: 'EUR', token: 'tok_visa' })
  t.notOk('paymentToken' in a.changes, 'the token is kept until the authorization is answered')

  const legacy = applyToSaga({ ...sagaIn.AUTHORIZING, paymentToken: null }, { kind: 'deadline' }, clock)
  t.same(sent(legacy), [], 'a saga stored without its token has nothing to send: it waits')
  t.ok(legacy.changes.deadlineAt, '...for its next deadline')

  const later = { ...clock, now: new Date(T0.getTime() + 25_000) }
  t.same(applyToSaga(sagaIn.RESERVING, { kind: 'deadline' }, later).changes, { deadlineAt: new Date(T0.getTime() + 50_000) }, 'backing off: after as long as it has waited')
  const long = { ...clock, now: new Date(T0.getTime() + 200_000) }
  t.same(applyToSaga(sagaIn.RESERVING, { kind: 'deadline' }, long).changes, { deadlineAt: new Date(T0.getTime() + 260_000) }, 'at most six step timeouts apart')
  const nearly = { ...clock, now: new Date(giveUpClock.now.getTime() - 1_000) }
  t.same(applyToSaga(sagaIn.RESERVING, { kind: 'deadline' }, nearly).changes, { deadlineAt: giveUpClock.now }, 'the last deadline is the give-up time')
})

t.test('past the give-up time: RESERVING releases only, AUTHORIZING releases and voids; both end FAILED TIMEOUT', async (t) => {
  const r = applyToSaga(sagaIn.RESERVING, { kind: 'deadline' }, giveUpClock)
  t.same(sent(r), ['order.progressed:COMPENSATING', 'inventory.release'])
  t.match(r.changes, { state: 'COMPENSATING', failureReason: 'TIMEOUT', paymentToken: null })
  const a = runAt(giveUpClock, sagaIn.AUTHORIZING, { kind: 'deadline' }, { kind: 'voided' }, { kind: 'released' })
  t.same(a.sent, [['order.progressed:COMPENSATING', 'inventory.release', 'payment.void'], ['order.progressed:PAYMENT_VOIDED'], ['order.progressed:STOCK_RELEASED', 'order.failed']])
  t.match(a.saga, { state: 'FAILED', failureReason: 'TIMEOUT', failureMessage: /took too long/, paymentToken: null })
  const reservedLate = { ...sagaIn.AUTHORIZING, reservedAt: new Date(T0.getTime() + 60_000) }
  t.same(sent(applyToSaga(reservedLate, { kind: 'deadline' }, giveUpClock)), ['payment.authorize'], 'AUTHORIZING waits from the reservation, not the order')
})

t.test('the token is dropped once the authorization is answered', async (t) => {
  t.equal(applyToSaga(sagaIn.AUTHORIZING, { kind: 'authorized' }, clock).changes.paymentToken, null)
  t.equal(applyToSaga(sagaIn.AUTHORIZING, { kind: 'declined', reason: 'CARD_DECLINED', message: 'No.' }, clock).changes.paymentToken, null)
  t.equal(applyToSaga(sagaIn.AUTHORIZING, { kind: 'cancel-requested' }, clock).changes.paymentToken, null)
})

t.test("a compensating saga's deadline re-sends only what is unanswered", async (t) => {
  const half = run(sagaIn.COMPENSATING, { kind: 'released' }).saga
  const again = applyToSaga(half, { kind: 'deadline' }, clock)
  t.same(sent(again), ['payment.void'])
  t.same(again.changes, { deadlineAt: new Date(clock.now.getTime() + 10_000) })
})

t.test('late answers after giving up are undone again, without reviving the saga', async (t) => {
  const timedOut = runAt(giveUpClock, sagaIn.RESERVING, { kind: 'deadline' }, { kind: 'released' }).saga
  t.equal(timedOut.state, 'FAILED')
  const lateReserve = applyToSaga(timedOut, { kind: 'reserved' }, clock)
  t.same(sent(lateReserve), ['inventory.release'], 'the earlier release may have found nothing: release again')
  t.equal(after(timedOut, lateReserve).state, 'FAILED')

  const failedAuthorizing = runAt(giveUpClock, sagaIn.AUTHORIZING, { kind: 'deadline' }, { kind: 'released' }, { kind: 'voided' }).saga
  const lateAuth = applyToSaga(failedAuthorizing, { kind: 'authorized' }, clock)
  t.same(sent(lateAuth), ['payment.void'])
  t.equal(after(failedAuthorizing, lateAuth).state, 'FAILED')

  // While compensating: a late reservation is waited for again...
  const compensating = runAt(giveUpClock, sagaIn.RESERVING, { kind: 'deadline' }, { kind: 'released' }, { kind: 'reserved' }).saga
  t.match(compensating, { state: 'FAILED' }, 'nothing owed any more after the first release: it had finished')
  const stillOwed = run(sagaIn.COMPENSATING, { kind: 'released' }, { kind: 'reserved' })
  t.same(stillOwed.sent[1], [])
  const lateWhileOwed = run({ ...sagaIn.COMPENSATING, reservedAt: null }, { kind: 'released' }, { kind: 'reserved' }, { kind: 'voided' })
  t.same(lateWhileOwed.sent, [['order.progressed:STOCK_RELEASED'], ['inventory.release'], ['order.progressed:PAYMENT_VOIDED']])
  t.equal(lateWhileOwed.saga.state, 'COMPENSATING', 'waits for the second release')
  // ...and a late authorization after the void was confirmed is voided again, not waited for.
  const voided = run(sagaIn.COMPENSATING, { kind: 'voided' }, { kind: 'authorized' }, { kind: 'released' })
  t.same(voided.sent, [['order.progressed:PAYMENT_VOIDED'], ['payment.void'], ['order.progressed:STOCK_RELEASED', 'order.failed']])
})

t.test('cancel before confirmation compensates what was (or may be) done, then CANCELLED', async (t) => {
  const reserving = run(sagaIn.RESERVING, { kind: 'cancel-requested', reason: 'changed my mind' }, { kind: 'released' })
  t.same(reserving.sent, [['order.progressed:COMPENSATING', 'inventory.release'], ['order.progressed:STOCK_RELEASED', 'order.cancelled']])
  t.match(reserving.saga, { state: 'CANCELLED', cancelReason: 'changed my mind', failureReason: undefined })
  const authorizing = run(sagaIn.AUTHORIZING, { kind: 'cancel-requested' }, { kind: 'released' }, { kind: 'voided' })
  t.same(authorizing.sent[0], ['order.progressed:COMPENSATING', 'inventory.release', 'payment.void'])
  t.same(authorizing.sent[2], ['order.progressed:PAYMENT_VOIDED', 'order.cancelled'])
  t.equal(authorizing.saga.state, 'CANCELLED')
})

t.test('cancel after confirmation: stop the shipment, then restock and refund after capture', async (t) => {
  const captured = run(sagaIn.CONFIRMED, { kind: 'captured' }, { kind: 'cancel-requested' }, { kind: 'shipment-cancelled' }, { kind: 'released' }, { kind: 'refunded' })
  t.same(captured.sent, [
    ['order.progressed:PAYMENT_CAPTURED'],
    ['fulfillment.cancel'],
    ['order.progressed:COMPENSATING', 'inventory.release', 'payment.refund'],
    ['order.progressed:STOCK_RELEASED'],
    ['order.progressed:PAYMENT_REFUNDED', 'order.cancelled'],
  ])
  t.equal(captured.saga.state, 'CANCELLED')
  // The capture not in yet: the refund waits for it; the deadline pushes the capture meanwhile.
  const uncaptured = run(sagaIn.CONFIRMED, { kind: 'cancel-requested' }, { kind: 'shipment-cancelled' })
  t.same(uncaptured.sent[1], ['order.progressed:COMPENSATING', 'inventory.release'])
  t.same(sent(applyToSaga(uncaptured.saga, { kind: 'deadline' }, clock)), ['inventory.release', 'payment.capture'])
  const finished = run(uncaptured.saga, { kind: 'released' }, { kind: 'captured' }, { kind: 'refunded' })
  t.same(finished.sent, [['order.progressed:STOCK_RELEASED'], ['order.progressed:PAYMENT_CAPTURED', 'payment.refund'], ['order.progressed:PAYMENT_REFUNDED', 'order.cancelled']])
})

t.test('a cancel too late is refused: by fulfilment, by a shipment in between, or after shipping', async (t) => {
  const refused = run(sagaIn.CONFIRMED, { kind: 'cancel-requested' }, { kind: 'shipment-cancel-refused' })
  t.same(refused.sent[1], ['order.cancel_refused'])
  t.match(refused.saga, { state: 'CONFIRMED', cancelRefusedAt: clock.now })
  const shippedMeanwhile = run(sagaIn.CONFIRMED, { kind: 'cancel-requested' }, { kind: 'shipped' }, { kind: 'shipment-cancel-refused' })
  t.same(shippedMeanwhile.sent, [['fulfillment.cancel'], ['order.cancel_refused'], []], 'refused once')
  t.equal(shippedMeanwhile.saga.state, 'SHIPPED')
  t.same(sent(applyToSaga(sagaIn.SHIPPED, { kind: 'cancel-requested' }, clock)), ['order.cancel_refused'])
  t.same(sent(applyToSaga(sagaIn.DELIVERED, { kind: 'cancel-requested' }, clock)), ['order.cancel_refused'])
  t.same(sent(applyToSaga(sagaIn.CANCELLING, { kind: 'delivered' }, clock)), ['order.cancel_refused'])
})

t.test('deadlines after confirmation re-send what is unanswered and stop once settled', async (t) => {
  t.same(sent(applyToSaga(sagaIn.CONFIRMED, { kind: 'deadline' }, clock)), ['inventory.commit', 'payment.capture'])
  t.same(sent(applyToSaga(sagaIn.CANCELLING, { kind: 'deadline' }, clock)), ['fulfillment.cancel', 'inventory.commit', 'payment.capture'])
  const settled = run(sagaIn.CONFIRMED, { kind: 'committed' }, { kind: 'captured' }).saga
  t.equal(settled.deadlineAt, null)
  t.same(applyToSaga({ ...settled, deadlineAt: T0 }, { kind: 'deadline' }, clock).changes, { deadlineAt: null })
  t.same(applyToSaga({ ...sagaIn.FAILED, deadlineAt: T0 }, { kind: 'deadline' }, clock).changes, { deadlineAt: null })
})

t.test('a reservation for an order whose token is gone fails INVALID_ORDER and releases', async (t) => {
  const tr = applyToSaga({ ...sagaIn.RESERVING, paymentToken: null }, { kind: 'reserved' }, clock)
  t.same(sent(tr), ['order.progressed:COMPENSATING', 'inventory.release'])
  t.match(tr.changes, { state: 'COMPENSATING', failureReason: 'INVALID_ORDER', reservedAt: clock.now })
})

t.test('a cancel while compensating is noted; the compensation ends as planned', async (t) => {
  const { saga, sent: log } = run(sagaIn.COMPENSATING, { kind: 'cancel-requested', reason: 'too slow' }, { kind: 'released' }, { kind: 'voided' })
  t.same(log[0], [])
  t.match(saga, { state: 'FAILED', cancelReason: 'too slow' })
})
