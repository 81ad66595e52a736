import { randomUUID } from 'node:crypto'
import t from 'tap'
import { AuthorizePayment } from '@orderflow/contracts'
import { commands } from './commands.js'
import { eventually, outboxFor, paymentRow, paymentTestbed, transactionsFor } from './testbed.js'

// Authorize commands over JetStream through the real consumer runner. Client retries: 1 (two
// attempts of 300 ms at most); tok_unavailable fails its first 3 attempts, so it needs a
// redelivery (the consumer's 1 s backoff) before it gets through.
const tb = await paymentTestbed(t, { PROVIDER_UNAVAILABLE_ATTEMPTS: '3' })
await tb.startWorkers()
const { command, send, sendCopy, drained } = commands(tb)

const authorize = (orderId: string, token: string) => command(AuthorizePayment, orderId, { amount: 1999, currency: 'EUR', method: 'card', token })
const outcome = (orderId: string) =>
  eventually(async () => {
    const events = await outboxFor(tb.orm, orderId)
    return events.length > 0 ? events : undefined
  }, `an outcome for ${orderId}`)

t.test('each token ends in its outcome', async (t) => {
  const cases = [
    { token: 'tok_visa', type: 'orderflow.payment.authorized.v1', data: { amount: 1999, currency: 'EUR', paymentId: /^[0-9a-f-]{36}$/ }, status: 'AUTHORIZED' },
    { token: 'tok_decline', type: 'orderflow.payment.declined.v1', data: { reason: 'CARD_DECLINED' }, status: 'DECLINED' },
    { token: 'tok_insufficient_funds', type: 'orderflow.payment.declined.v1', data: { reason: 'INSUFFICIENT_FUNDS' }, status: 'DECLINED' },
    { token: 'tok_unavailable', type: 'orderflow.payment.authorized.v1', data: { amount: 1999 }, status: 'AUTHORIZED' },
  ]
  const orders = cases.map(() => randomUUID())
  await Promise.all(cases.map((c, i) => send(AuthorizePayment, authorize(orders[i] ?? '', c.token))))
  for (const [i, c] of cases.entries()) {
    const orderId = orders[i] ?? ''
    const [event, ...more] = await outcome(orderId)
    t.match(event, { type: c.type, data: { orderId, ...c.data } }, c.token)
    t.equal(more.length, 0)
    t.equal((await paymentRow(tb.orm, orderId))?.status, c.status)
  }
  const unavailable = orders[3] ?? ''
  t.same(await transactionsFor(tb.orm, unavailable), ['AUTHORIZE:UNAVAILABLE', 'AUTHORIZE:SUCCEEDED'], 'the first delivery failed, the redelivery got through')
  t.equal(tb.sim.calls({ orderId: unavailable }), 4, '3 failures, then the authorization')
})

t.test('an authorize delivered twice calls the provider once; a new command for the order replays', async (t) => {
  const orderId = randomUUID()
  const cmd = authorize(orderId, 'tok_visa')
  await send(AuthorizePayment, cmd)
  await sendCopy(AuthorizePayment, cmd)
  await drained('payment-authorize')
  t.equal(tb.sim.calls({ orderId }), 1, 'one provider call')
  t.equal((await outboxFor(tb.orm, orderId)).length, 1, 'one PaymentAuthorized')

  await send(AuthorizePayment, authorize(orderId, 'tok_visa'))
  const events = await eventually(async () => {
    const all = await outboxFor(tb.orm, orderId)
    return all.length === 2 ? all : undefined
  }, 'the replayed outcome')
  t.same(events.map((e) => e.type), ['orderflow.payment.authorized.v1', 'orderflow.payment.authorized.v1'])
  t.same(events[1]?.data, events[0]?.data, 'the same payment, said again')
  t.equal(tb.sim.calls({ orderId }), 1, 'still one provider call')
})

t.test('a provider that never answers: declined PROVIDER_TIMEOUT on the first delivery, cancelled, never charged', async (t) => {
  const orderId = randomUUID()
  await send(AuthorizePayment, authorize(orderId, 'tok_timeout'))
  const [event, ...more] = await outcome(orderId)
  t.match(event, { type: 'orderflow.payment.declined.v1', data: { orderId, reason: 'PROVIDER_TIMEOUT' } })
  t.equal(more.length, 0)
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'DECLINED')
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:TIMEOUT', 'VOID:SUCCEEDED'], 'cut by the client timeout, then cancelled by order reference')
  t.equal(tb.sim.calls({ orderId, operation: 'authorize' }), 2, 'one delivery: no redelivery')
  t.notOk(tb.sim.isCharged(orderId))
})

t.test('the metrics show provider calls and the breaker', async (t) => {
  const metrics = (await tb.app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /payment_provider_call_duration_seconds_count\{operation="authorize",outcome="succeeded"\} \d+/)
  t.match(metrics, /payment_provider_call_duration_seconds_count\{operation="authorize",outcome="timeout"\} \d+/)
  t.match(metrics, /payment_provider_circuit_state 0/)
})
