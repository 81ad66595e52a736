import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { AuthorizeRequest, PaymentProvider } from '../src/provider/payment-provider.js'
import { ProviderUnavailableError } from '../src/provider/provider.errors.js'
import { resilientProviderFrom } from '../src/provider/configured-provider.js'
import { authorizePayment } from '../src/use-cases/authorize-payment.js'
import { voidPayment } from '../src/use-cases/void-payment.js'
import { outboxFor, paymentRow, paymentTestbed, transactionsFor } from './testbed.js'

// The use cases against the real database, with providers that stop or lose an authorization at
// the worst moment: the interleavings a void racing an authorize can produce, made deterministic.
const tb = await paymentTestbed(t, { PROVIDER_TIMEOUT_MS: '2000', PROVIDER_RETRIES: '0' })
const sim = tb.sim
const client = resilientProviderFrom(sim, tb.config)
const authorizeKey = () => ({ consumer: 'payment-authorize', eventId: randomUUID() })
const voidKey = () => ({ consumer: 'payment-void', eventId: randomUUID() })
const command = (orderId: string) => ({ orderId, amount: 2500, currency: 'EUR', method: 'card' as const, token: 'tok_visa' })
const types = async (orderId: string) =>
  (await outboxFor(tb.orm, orderId)).map((e) => `${e.type.replace('orderflow.payment.', '')}${typeof e.data.reason === 'string' ? `:${e.data.reason}` : ''}`)

/** Holds each authorization at the provider's door until released; the provider then grants it. */
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
  return { provider: resilientProviderFrom(provider, tb.config), release, reached }
}

t.test('a void while the authorization is in flight wins: the late authorization is voided at the provider', async (t) => {
  const orderId = randomUUID()
  const gated = gatedProvider(sim)
  const authorizing = authorizePayment(tb.orm, gated.provider, command(orderId), authorizeKey())
  await gated.reached
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'AUTHORIZING', 'recorded before the provider was called')

  t.equal(await voidPayment(tb.orm, client, orderId, voidKey()), 'voided', 'the void does not wait for the provider call')
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'VOIDED')

  gated.release()
  t.equal(await authorizing, 'refused-voided')
  t.equal(sim.authorization(orderId)?.state, 'voided', 'the provider granted it, then voided it')
  t.notOk(sim.isCharged(orderId), 'the customer is not charged')
  const row = await paymentRow(tb.orm, orderId)
  t.equal(row?.status, 'VOIDED')
  t.equal(row?.provider_ref, sim.authorization(orderId)?.providerRef, "the voided authorization's reference is kept")
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED'])
  t.same(await transactionsFor(tb.orm, orderId), ['VOID:SUCCEEDED', 'AUTHORIZE:SUCCEEDED', 'VOID:SUCCEEDED'])
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
  await t.rejects(authorizePayment(tb.orm, resilientProviderFrom(lossy, tb.config), command(orderId), authorizeKey()), ProviderUnavailableError)
  t.ok(sim.isCharged(orderId), 'held at the provider, unknown to us')
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'AUTHORIZING')

  t.equal(await voidPayment(tb.orm, client, orderId, voidKey()), 'voided')
  t.notOk(sim.isCharged(orderId), 'the technical cancel found it')

  const calls = sim.calls({ orderId, operation: 'authorize' })
  t.equal(await authorizePayment(tb.orm, client, command(orderId), authorizeKey()), 'refused-voided', 'the redelivered authorize is refused')
  t.equal(sim.calls({ orderId, operation: 'authorize' }), calls, 'without authorizing again')
  t.notOk(sim.isCharged(orderId))
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED'])
})

t.test('a void before any authorize records VOIDED, and the late authorize never reaches the provider', async (t) => {
  const orderId = randomUUID()
  t.equal(await voidPayment(tb.orm, client, orderId, voidKey()), 'confirmed')
  t.match(await paymentRow(tb.orm, orderId), { status: 'VOIDED', provider_ref: null })
  t.equal(await authorizePayment(tb.orm, client, command(orderId), authorizeKey()), 'refused-voided')
  t.equal(sim.calls({ orderId }), 0, 'no provider call at all')
  t.same(await types(orderId), ['voided.v1', 'declined.v1:VOIDED'])
  t.equal(await voidPayment(tb.orm, client, orderId, voidKey()), 'confirmed', 'a second void confirms again')
  t.equal(sim.calls({ orderId }), 0)
})

t.test('two authorizations at once: one provider authorization, both commands answered', async (t) => {
  const orderId = randomUUID()
  const gated = gatedProvider(sim)
  const first = authorizePayment(tb.orm, gated.provider, command(orderId), authorizeKey())
  await gated.reached
  const second = authorizePayment(tb.orm, gated.provider, command(orderId), authorizeKey())
  gated.release()
  t.same((await Promise.all([first, second])).sort(), ['authorized', 'replayed'])
  t.equal(sim.authorization(orderId)?.state, 'authorized', 'one authorization (the provider is idempotent per order)')
  t.same(await types(orderId), ['authorized.v1', 'authorized.v1'])
})
