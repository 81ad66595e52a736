import { randomUUID } from 'node:crypto'
import t from 'tap'
import { VoidPayment } from '@orderflow/contracts'
import { handleBatch } from '@orderflow/testing/service'
import type { AuthorizeRequest, PaymentProvider } from '../src/provider/payment-provider.js'
import { ProviderUnavailableError } from '../src/provider/provider.errors.js'
import { resilientProviderFrom } from '../src/provider/configured-provider.js'
import { authorizeFor, commandFor, outboxFor, paymentConsumers, paymentRow, paymentTestbed, transactionsFor } from './testbed.js'

// The consumers against the real database, batch by batch as the runner hands them over, with
// providers that stop or lose an authorization at the worst moment: the interleavings a void
// racing an authorize can produce, made deterministic.
const tb = await paymentTestbed(t, { PROVIDER_TIMEOUT_MS: '2000', PROVIDER_RETRIES: '0' })
const sim = tb.sim
const plain = paymentConsumers(tb)
const types = async (orderId: string) =>
  (await outboxFor(tb.orm, orderId)).map((e) => `${e.type.replace('orderflow.payment.', '')}${typeof e.data.reason === 'string' ? `:${e.data.reason}` : ''}`)

/** Holds each authorization at the provider's door until released; the provider then answers it. */
function gatedProvider(inner: PaymentProvider) {
  let release!: () => void
  let entered!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const reached = new Promise<void>((r) => (entered = r))
  const provider: PaymentProvider = {
    async authorize(req: AuthorizeRequest, signal?: AbortSignal) {
      entered()
      await gate
      return inner.authorize(req, signal)
    },
    capture: (r, s) => inner.capture(r, s),
    void: (r, s) => inner.void(r, s),
    refund: (r, s) => inner.refund(r, s),
  }
  return { consumers: paymentConsumers(tb, resilientProviderFrom(provider, tb.config)), release, reached }
}

/** Whether a promise is still pending after `ms`. */
async function stillPending(p: Promise<unknown>, ms = 300): Promise<boolean> {
  let done = false
  void p.then(
    () => (done = true),
    () => (done = true),
  )
  await new Promise((r) => setTimeout(r, ms))
  return !done
}

t.test('a void while the authorization is in flight waits for it, then voids what it granted', async (t) => {
  const orderId = randomUUID()
  const gated = gatedProvider(sim)
  const authorizing = handleBatch(tb.ctx, gated.consumers.authorize, [authorizeFor(orderId)])
  await gated.reached
  t.equal(await paymentRow(tb.orm, orderId), undefined, 'the AUTHORIZING payment is not visible outside its transaction')

  const voiding = handleBatch(tb.ctx, plain.void, [commandFor(VoidPayment, orderId)])
  t.ok(await stillPending(voiding), 'the void waits on the payment’s lock while the provider is asked')

  gated.release()
  await authorizing
  await voiding
  t.equal(sim.authorization(orderId)?.state, 'voided', 'the provider granted it, then voided it')
  t.notOk(sim.isCharged(orderId), 'the customer is not charged')
  const row = await paymentRow(tb.orm, orderId)
  t.equal(row?.status, 'VOIDED')
  t.equal(row?.provider_ref, sim.authorization(orderId)?.providerRef, "the voided authorization's reference is kept")
  t.same(await types(orderId), ['authorized.v1', 'voided.v1'])
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:SUCCEEDED', 'VOID:SUCCEEDED'])

  // Voided is final: a later authorize is refused without reaching the provider again.
  await handleBatch(tb.ctx, plain.authorize, [authorizeFor(orderId)])
  t.same(await types(orderId), ['authorized.v1', 'voided.v1', 'declined.v1:VOIDED'])
  t.equal(sim.calls({ orderId, operation: 'authorize' }), 1)
  t.notOk(sim.isCharged(orderId))
})

t.test('an authorization whose answer was lost is cancelled by order reference when voided', async (t) => {
  const orderId = randomUUID()
  // The provider authorizes, but the answer never reaches us (the connection drops).
  const lossy: PaymentProvider = {
    authorize: async (req, signal) => {
      await sim.authorize(req, signal)
      throw new ProviderUnavailableError('authorize', 'connection reset after the request was sent')
    },
    void: (r, s) => sim.void(r, s),
    capture: (r, s) => sim.capture(r, s),
    refund: (r, s) => sim.refund(r, s),
  }
  const lossyConsumers = paymentConsumers(tb, resilientProviderFrom(lossy, tb.config))
  const cmd = authorizeFor(orderId)
  await t.rejects(handleBatch(tb.ctx, lossyConsumers.authorize, [cmd]), ProviderUnavailableError)
  await lossyConsumers.failedCalls.flush()
  t.ok(sim.isCharged(orderId), 'held at the provider, unknown to us')
  t.equal(await paymentRow(tb.orm, orderId), undefined, 'the attempt rolled back with its transaction')
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:UNAVAILABLE'], 'but the failed call is on record')

  await handleBatch(tb.ctx, plain.void, [commandFor(VoidPayment, orderId)])
  t.notOk(sim.isCharged(orderId), 'the technical cancel found it')
  t.match(await paymentRow(tb.orm, orderId), { status: 'VOIDED', provider_ref: null })

  const calls = sim.calls({ orderId, operation: 'authorize' })
  await handleBatch(tb.ctx, plain.authorize, [cmd], 2)
  t.equal(sim.calls({ orderId, operation: 'authorize' }), calls, 'the redelivered authorize is refused without authorizing again')
  t.notOk(sim.isCharged(orderId))
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED'])
})

t.test('a void that overtakes a lost authorization still cancels it: the redelivered authorize does', async (t) => {
  const orderId = randomUUID()
  // The provider authorizes, and our transaction dies before anything of it is recorded.
  await sim.authorize({ orderId, amount: 2500, currency: 'EUR', token: 'tok_visa', idempotencyKey: `${orderId}:authorize` })
  await handleBatch(tb.ctx, plain.void, [commandFor(VoidPayment, orderId)])
  t.equal(sim.calls({ orderId, operation: 'void' }), 0, 'nothing says an authorization was attempted')
  t.ok(sim.isCharged(orderId))

  await handleBatch(tb.ctx, plain.authorize, [authorizeFor(orderId)], 2)
  t.notOk(sim.isCharged(orderId), 'a redelivered authorize refused as voided cancels by order reference')
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED'])
})

t.test('a void before any authorize records VOIDED, and the late authorize never reaches the provider', async (t) => {
  const orderId = randomUUID()
  await handleBatch(tb.ctx, plain.void, [commandFor(VoidPayment, orderId)])
  t.match(await paymentRow(tb.orm, orderId), { status: 'VOIDED', provider_ref: null })
  await handleBatch(tb.ctx, plain.authorize, [authorizeFor(orderId)])
  t.equal(sim.calls({ orderId }), 0, 'no provider call at all')
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED'])
  await handleBatch(tb.ctx, plain.void, [commandFor(VoidPayment, orderId)])
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED', 'voided.v1'], 'a second void confirms again')
  t.equal(sim.calls({ orderId }), 0)
})

t.test('two authorizations at once: one provider authorization, both commands answered', async (t) => {
  const orderId = randomUUID()
  const gated = gatedProvider(sim)
  const first = handleBatch(tb.ctx, gated.consumers.authorize, [authorizeFor(orderId)])
  await gated.reached
  const second = handleBatch(tb.ctx, gated.consumers.authorize, [authorizeFor(orderId)])
  t.ok(await stillPending(second), 'the second waits for the first')
  gated.release()
  await Promise.all([first, second])
  t.equal(sim.calls({ orderId, operation: 'authorize' }), 1, 'the second replays the first’s answer without asking')
  t.equal(sim.authorization(orderId)?.state, 'authorized', 'one authorization')
  t.same(await types(orderId), ['authorized.v1', 'authorized.v1'])
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:SUCCEEDED'])
})
