import { randomUUID } from 'node:crypto'
import t from 'tap'
import { VoidPayment } from '@orderflow/contracts'
import { handleBatch } from '@orderflow/testing/service'
import { resilientProviderFrom } from '../src/provider/configured-provider.js'
import type { PaymentProvider, VoidRequest } from '../src/provider/payment-provider.js'
import { ProviderCircuitOpenError, ProviderUnavailableError } from '../src/provider/provider.errors.js'
import { ResilientProvider } from '../src/provider/resilient-provider.js'
import { SimulatedProvider } from '../src/provider/simulated-provider.js'
import { authorizeFor, commandFor, outboxFor, paymentConsumers, paymentRow, paymentTestbed, transactionsFor } from './testbed.js'

// An authorization the provider does not answer in time (after the client's retries: two
// attempts of 300 ms) is a business answer — PaymentDeclined PROVIDER_TIMEOUT — once whatever
// the provider may hold was cancelled by order reference. An outage stays an outage.
const tb = await paymentTestbed(t, { PROVIDER_RETRIES: '1' })
const sim = tb.sim
const plain = paymentConsumers(tb)
const types = async (orderId: string) =>
  (await outboxFor(tb.orm, orderId)).map((e) => `${e.type.replace(/^orderflow\.payment\.(\w+)\.v1$/, '$1')}${typeof e.data.reason === 'string' ? `:${e.data.reason}` : ''}`)

/** `inner` with some of its operations replaced; the consumers on it behind the configured client. */
function consumersOn(inner: PaymentProvider, replaced: Partial<PaymentProvider>) {
  const provider: PaymentProvider = {
    authorize: (r, s) => inner.authorize(r, s),
    capture: (r, s) => inner.capture(r, s),
    void: (r, s) => inner.void(r, s),
    refund: (r, s) => inner.refund(r, s),
    ...replaced,
  }
  return paymentConsumers(tb, resilientProviderFrom(provider, tb.config))
}

/** Never settles until the client gives up on the call. */
const untilAborted = (signal: AbortSignal | undefined) =>
  new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('abandoned by the client')), { once: true }))

t.test('a provider that never answers: cancelled by order reference, then PaymentDeclined PROVIDER_TIMEOUT, replayed after', async (t) => {
  const [orderId, other] = [randomUUID(), randomUUID()]
  const voids: VoidRequest[] = []
  const c = consumersOn(sim, {
    void: (r, s) => {
      voids.push(r)
      return sim.void(r, s)
    },
  })
  // Two commands for the order (the saga re-sent it) beside another order's, in one batch.
  await handleBatch(tb.ctx, c.authorize, [authorizeFor(orderId, 'tok_timeout'), authorizeFor(other), authorizeFor(orderId, 'tok_timeout')])
  t.same(await types(other), ['authorized'], 'the batch is not failed by the silence')
  t.same(await types(orderId), ['declined:PROVIDER_TIMEOUT', 'declined:PROVIDER_TIMEOUT'])
  t.match((await outboxFor(tb.orm, orderId))[0]?.data, { orderId, message: /did not answer in time/ })
  t.match(await paymentRow(tb.orm, orderId), { status: 'DECLINED', decline_reason: 'PROVIDER_TIMEOUT', provider_ref: null })
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:TIMEOUT', 'VOID:SUCCEEDED'], 'both calls on record')
  t.equal(voids.length, 1, 'one cancel')
  t.match(voids[0], { orderId, idempotencyKey: `${orderId}:void` }, "under the payment's void key")
  t.equal(voids[0]?.providerRef, undefined, 'by order reference')
  t.equal(sim.calls({ orderId, operation: 'authorize' }), 2, "the client's two attempts, for both commands")

  const calls = sim.calls({ orderId })
  await handleBatch(tb.ctx, plain.authorize, [authorizeFor(orderId, 'tok_timeout')])
  t.same(await types(orderId), ['declined:PROVIDER_TIMEOUT', 'declined:PROVIDER_TIMEOUT', 'declined:PROVIDER_TIMEOUT'], 'a later authorize replays the decline')
  await handleBatch(tb.ctx, plain.void, [commandFor(VoidPayment, orderId)])
  t.equal((await types(orderId)).at(-1), 'voided', "the saga's void is confirmed")
  t.equal(sim.calls({ orderId }), calls, 'neither reached the provider')
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'DECLINED')
})

t.test('an authorization granted before its answer was lost is cancelled before PROVIDER_TIMEOUT is said', async (t) => {
  const orderId = randomUUID()
  const c = consumersOn(sim, {
    authorize: async (r, s) => {
      await sim.authorize({ ...r, token: 'tok_visa' }, s)
      return untilAborted(s)
    },
  })
  await handleBatch(tb.ctx, c.authorize, [authorizeFor(orderId)])
  t.equal(sim.authorization(orderId)?.state, 'voided', 'the provider had authorized; the technical cancel voided it')
  t.notOk(sim.isCharged(orderId))
  t.same(await types(orderId), ['declined:PROVIDER_TIMEOUT'])

  // The provider answers again: the payment is final, so it is not even asked.
  const authorizations = sim.calls({ orderId, operation: 'authorize' })
  await handleBatch(tb.ctx, plain.authorize, [authorizeFor(orderId)])
  t.equal(sim.calls({ orderId, operation: 'authorize' }), authorizations, 'a late authorize is refused with the same decline')
  t.same(await types(orderId), ['declined:PROVIDER_TIMEOUT', 'declined:PROVIDER_TIMEOUT'])
  t.notOk(sim.isCharged(orderId))
})

t.test('a cancel that fails fails the batch: nothing is said while a hold may remain; the redelivery answers', async (t) => {
  const orderId = randomUUID()
  const broken = consumersOn(sim, {
    void: async () => {
      throw new ProviderUnavailableError('void', 'provider unavailable')
    },
  })
  const cmd = authorizeFor(orderId, 'tok_timeout')
  await t.rejects(handleBatch(tb.ctx, broken.authorize, [cmd]), ProviderUnavailableError)
  await broken.failedCalls.flush()
  t.equal(await paymentRow(tb.orm, orderId), undefined, 'no decline kept')
  t.same(await types(orderId), [])
  t.same(await transactionsFor(tb.orm, orderId), ['AUTHORIZE:TIMEOUT', 'VOID:UNAVAILABLE'], 'both calls on record aside, the attempt included')

  await handleBatch(tb.ctx, plain.authorize, [cmd], 2)
  t.same(await types(orderId), ['declined:PROVIDER_TIMEOUT'])
  t.same((await transactionsFor(tb.orm, orderId)).slice(2), ['AUTHORIZE:TIMEOUT', 'VOID:SUCCEEDED'])
})

t.test('an unavailable provider or an open breaker is still an outage: the batch fails, to be redelivered', async (t) => {
  const down = new SimulatedProvider({ unavailableAttempts: 100 })
  const client = new ResilientProvider(down, { timeoutMs: 300, retries: 0, breakerThreshold: 1, halfOpenAfterMs: 60_000 })
  const c = paymentConsumers(tb, client)
  const [unavailable, timeout] = [randomUUID(), randomUUID()]
  await t.rejects(handleBatch(tb.ctx, c.authorize, [authorizeFor(unavailable, 'tok_unavailable')]), ProviderUnavailableError)
  t.equal(client.circuitState, 'open')
  await t.rejects(handleBatch(tb.ctx, c.authorize, [authorizeFor(timeout, 'tok_timeout')]), ProviderCircuitOpenError, 'not asked, so not declined')
  await c.failedCalls.flush()
  for (const orderId of [unavailable, timeout]) {
    t.equal(await paymentRow(tb.orm, orderId), undefined)
    t.same(await types(orderId), [])
  }
  t.same(await transactionsFor(tb.orm, unavailable), ['AUTHORIZE:UNAVAILABLE'])
  t.same(await transactionsFor(tb.orm, timeout), ['AUTHORIZE:CIRCUIT_OPEN'])
  t.equal(down.calls({ operation: 'void' }), 0, 'and nothing cancelled')
})
