import { randomUUID } from 'node:crypto'
import t from 'tap'
import { AuthorizePayment, CapturePayment, RefundPayment, VoidPayment } from '@orderflow/contracts'
import { commands } from './commands.js'
import { eventually, outboxFor, paymentRow, paymentTestbed, transactionsFor } from './testbed.js'

// Capture, void and refund over JetStream through the real consumers.
const tb = await paymentTestbed(t)
await tb.startWorkers()
const { command, send, sendCopy, drained } = commands(tb)

const eventTypes = async (orderId: string) => (await outboxFor(tb.orm, orderId)).map((e) => e.type.replace(/^orderflow\.payment\.(\w+)\.v1$/, '$1'))
const untilEvents = (orderId: string, n: number) =>
  eventually(async () => {
    const types = await eventTypes(orderId)
    return types.length >= n ? types : undefined
  }, `${n} events for ${orderId}`)

async function authorized(token = 'tok_visa'): Promise<string> {
  const orderId = randomUUID()
  await send(AuthorizePayment, command(AuthorizePayment, orderId, { amount: 5000, currency: 'USD', method: 'card', token }))
  await untilEvents(orderId, 1)
  return orderId
}
async function deadLetterFor(eventId: string) {
  return eventually(async () => (await tb.ctx.deadLetters.list({ limit: 100 })).find((d) => d.eventId === eventId), `the dead letter of ${eventId}`)
}

t.test('capture: AUTHORIZED → CAPTURED once, however often it is delivered', async (t) => {
  const orderId = await authorized()
  const capture = command(CapturePayment, orderId)
  await send(CapturePayment, capture)
  await sendCopy(CapturePayment, capture)
  await drained('payment-capture')
  t.same(await untilEvents(orderId, 2), ['authorized', 'captured'])
  const [, captured] = await outboxFor(tb.orm, orderId)
  t.match(captured?.data, { orderId, amount: 5000, currency: 'USD' })
  t.equal(tb.sim.calls({ orderId, operation: 'capture' }), 1, 'one provider call')
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'CAPTURED')

  // A second capture command (another event id), as a saga retry would send: replayed, not re-captured.
  await send(CapturePayment, command(CapturePayment, orderId))
  t.same(await untilEvents(orderId, 3), ['authorized', 'captured', 'captured'])
  t.equal(tb.sim.calls({ orderId, operation: 'capture' }), 1)
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:SUCCEEDED', 'CAPTURE:SUCCEEDED'])
})

t.test('two different capture commands at once still capture once', async (t) => {
  const orderId = await authorized()
  await Promise.all([send(CapturePayment, command(CapturePayment, orderId)), send(CapturePayment, command(CapturePayment, orderId))])
  t.same(await untilEvents(orderId, 3), ['authorized', 'captured', 'captured'])
  t.equal(tb.sim.authorization(orderId)?.state, 'captured')
  t.equal(tb.sim.calls({ orderId, operation: 'capture' }), 1)
})

t.test('refund: CAPTURED → REFUNDED once, duplicates replay', async (t) => {
  const orderId = await authorized()
  await send(CapturePayment, command(CapturePayment, orderId))
  await untilEvents(orderId, 2)
  const refund = command(RefundPayment, orderId)
  await send(RefundPayment, refund)
  await sendCopy(RefundPayment, refund)
  await drained('payment-refund')
  t.same(await untilEvents(orderId, 3), ['authorized', 'captured', 'refunded'])
  t.equal(tb.sim.calls({ orderId, operation: 'refund' }), 1)
  t.notOk(tb.sim.isCharged(orderId))
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'REFUNDED')
  const [, , refunded] = await outboxFor(tb.orm, orderId)
  t.match(refunded?.data, { orderId, amount: 5000, currency: 'USD' })
})

t.test('void: AUTHORIZED → VOIDED at the provider once; a duplicate only confirms', async (t) => {
  const orderId = await authorized()
  const voidCmd = command(VoidPayment, orderId)
  await send(VoidPayment, voidCmd)
  await sendCopy(VoidPayment, voidCmd)
  await drained('payment-void')
  t.same(await untilEvents(orderId, 2), ['authorized', 'voided'])
  t.equal(tb.sim.calls({ orderId, operation: 'void' }), 1)
  t.notOk(tb.sim.isCharged(orderId))
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'VOIDED')
})

t.test('a void of a declined payment confirms without asking the provider', async (t) => {
  const orderId = await authorized('tok_decline')
  await send(VoidPayment, command(VoidPayment, orderId))
  t.same(await untilEvents(orderId, 2), ['declined', 'voided'])
  t.equal(tb.sim.calls({ orderId, operation: 'void' }), 0)
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'DECLINED')
})

t.test('commands that can never apply are dead-lettered at once, with no event', async (t) => {
  const notCaptured = await authorized()
  const refund = command(RefundPayment, notCaptured)
  await send(RefundPayment, refund)
  t.match(await deadLetterFor(refund.id), { reason: 'permanent', error: /AUTHORIZED; cannot refund/ })

  const declined = await authorized('tok_insufficient_funds')
  const capture = command(CapturePayment, declined)
  await send(CapturePayment, capture)
  t.match(await deadLetterFor(capture.id), { reason: 'permanent', error: /DECLINED; cannot capture/ })

  const nothing = command(CapturePayment, randomUUID())
  await send(CapturePayment, nothing)
  t.match(await deadLetterFor(nothing.id), { reason: 'permanent', error: /has no payment/ })

  const captured = await authorized()
  await send(CapturePayment, command(CapturePayment, captured))
  await untilEvents(captured, 2)
  const voidCaptured = command(VoidPayment, captured)
  await send(VoidPayment, voidCaptured)
  t.match(await deadLetterFor(voidCaptured.id), { reason: 'permanent', error: /CAPTURED; refund it instead/ })

  t.same(await eventTypes(notCaptured), ['authorized'], 'no PaymentRefunded for money never taken')
  t.same(await eventTypes(declined), ['declined'])
  t.same(await eventTypes(captured), ['authorized', 'captured'])
  t.equal((await paymentRow(tb.orm, captured))?.status, 'CAPTURED', 'the refused void changed nothing')
})

t.test('a capture while the authorization is still pending waits for it', async (t) => {
  const orderId = randomUUID()
  await tb.orm.em.fork().execute(
    `insert into payments (order_id, payment_id, amount, currency, status, created_at, updated_at, version)
     values (?, ?, 100, 'EUR', 'AUTHORIZING', now(), now(), 1)`,
    [orderId, randomUUID()],
  )
  await send(CapturePayment, command(CapturePayment, orderId))
  await eventually(async () => {
    const info = await tb.ctx.bus.jsm.consumers.info(tb.topology.stream('PAYMENTS'), 'payment-capture')
    return info.num_redelivered > 0 ? true : undefined
  }, 'a redelivery')
  // The authorization settles; the retried capture goes through.
  await tb.orm.em.fork().execute(`update payments set status = 'AUTHORIZED', provider_ref = 'sim_auth_x', version = version + 1 where order_id = ?`, [orderId])
  t.same(await untilEvents(orderId, 1), ['captured'])
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'CAPTURED')
})
