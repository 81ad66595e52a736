import { randomUUID } from 'node:crypto'
import t from 'tap'
import { Registry } from 'prom-client'
import { idempotencyKey, type PaymentProvider } from '../src/provider/payment-provider.js'
import {
  ProviderCircuitOpenError,
  ProviderRejectedError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../src/provider/provider.errors.js'
import { ResilientProvider, type ResilienceOptions } from '../src/provider/resilient-provider.js'
import { SimulatedProvider, SimulatedTokens } from '../src/provider/simulated-provider.js'

const fast: ResilienceOptions = { timeoutMs: 150, retries: 2, retryDelayMs: 10, breakerThreshold: 100, halfOpenAfterMs: 200 }

function client(sim: PaymentProvider, options: ResilienceOptions = {}) {
  const registry = new Registry()
  return { client: new ResilientProvider(sim, { ...fast, ...options, registry }), registry }
}
const authorize = (p: PaymentProvider, token: string, orderId = randomUUID()) =>
  p.authorize({ orderId, amount: 1000, currency: 'EUR', token, idempotencyKey: idempotencyKey(orderId, 'authorize') })
const voidOf = (orderId: string) => ({ orderId, idempotencyKey: idempotencyKey(orderId, 'void') })

t.test('each token decides the authorization', async (t) => {
  const sim = new SimulatedProvider()
  const { client: c } = client(sim)
  t.match(await authorize(c, SimulatedTokens.VISA), { outcome: 'authorized', providerRef: /^sim_auth_/ })
  t.match(await authorize(c, SimulatedTokens.DECLINE), { outcome: 'declined', reason: 'CARD_DECLINED' })
  t.match(await authorize(c, SimulatedTokens.INSUFFICIENT_FUNDS), { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' })
  t.match(await authorize(c, 'tok_who_knows'), { outcome: 'declined', reason: 'CARD_DECLINED', message: /unknown/i })
  t.equal(sim.calls({ operation: 'authorize' }), 4, 'a decline is an answer: never retried')
})

t.test('tok_timeout is cut by the client timeout, each attempt, then reported as a timeout', async (t) => {
  const sim = new SimulatedProvider()
  const { client: c, registry } = client(sim, { timeoutMs: 100, retries: 1 })
  const orderId = randomUUID()
  const started = Date.now()
  await t.rejects(authorize(c, SimulatedTokens.TIMEOUT, orderId), ProviderTimeoutError)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 200 && elapsed < 1_000, `two attempts of 100 ms, not forever (${elapsed} ms)`)
  t.equal(sim.calls({ orderId }), 2, 'the timeout is retried once')
  const metric = await registry.getSingleMetricAsString('payment_provider_call_duration_seconds')
  t.match(metric, /payment_provider_call_duration_seconds_count\{operation="authorize",outcome="timeout"\} 2/)
})

t.test('tok_unavailable recovers within the client retries', async (t) => {
  const sim = new SimulatedProvider({ unavailableAttempts: 2 })
  const { client: c, registry } = client(sim, { retries: 2 })
  const orderId = randomUUID()
  t.match(await authorize(c, SimulatedTokens.UNAVAILABLE, orderId), { outcome: 'authorized' })
  t.equal(sim.calls({ orderId }), 3, 'two failures, then the answer')
  const metric = await registry.getSingleMetricAsString('payment_provider_call_duration_seconds')
  t.match(metric, /_count\{operation="authorize",outcome="unavailable"\} 2/)
  t.match(metric, /_count\{operation="authorize",outcome="succeeded"\} 1/)
})

t.test('tok_unavailable beyond the retries fails transiently; the next call recovers', async (t) => {
  const sim = new SimulatedProvider({ unavailableAttempts: 3 })
  const { client: c } = client(sim, { retries: 1 })
  const orderId = randomUUID()
  await t.rejects(authorize(c, SimulatedTokens.UNAVAILABLE, orderId), ProviderUnavailableError)
  t.match(await authorize(c, SimulatedTokens.UNAVAILABLE, orderId), { outcome: 'authorized' }, 'the consumer’s redelivery gets through')
})

t.test('the circuit opens after consecutive failures, refuses calls, then recovers half-open', async (t) => {
  const sim = new SimulatedProvider()
  const { client: c, registry } = client(sim, { retries: 0, timeoutMs: 30, breakerThreshold: 3, halfOpenAfterMs: 200 })
  for (let i = 0; i < 3; i++) await t.rejects(authorize(c, SimulatedTokens.TIMEOUT), ProviderTimeoutError)
  t.equal(c.circuitState, 'open')
  t.match(await registry.getSingleMetricAsString('payment_provider_circuit_state'), /payment_provider_circuit_state 1/)

  const before = sim.calls()
  await t.rejects(authorize(c, SimulatedTokens.VISA), ProviderCircuitOpenError)
  t.equal(sim.calls(), before, 'an open circuit does not reach the provider')
  t.match(await registry.getSingleMetricAsString('payment_provider_call_duration_seconds'), /outcome="circuit_open"/)

  await new Promise((r) => setTimeout(r, 250))
  t.match(await authorize(c, SimulatedTokens.VISA), { outcome: 'authorized' }, 'the half-open test call succeeds')
  t.equal(c.circuitState, 'closed')
  t.match(await registry.getSingleMetricAsString('payment_provider_circuit_state'), /payment_provider_circuit_state 0/)
})

t.test('a failed half-open test call opens the circuit again', async (t) => {
  const sim = new SimulatedProvider()
  const { client: c } = client(sim, { retries: 0, timeoutMs: 30, breakerThreshold: 1, halfOpenAfterMs: 100 })
  await t.rejects(authorize(c, SimulatedTokens.TIMEOUT), ProviderTimeoutError)
  t.equal(c.circuitState, 'open')
  await new Promise((r) => setTimeout(r, 150))
  await t.rejects(authorize(c, SimulatedTokens.TIMEOUT), ProviderTimeoutError)
  t.equal(c.circuitState, 'open')
})

t.test('declines and rejections neither retry nor open the circuit', async (t) => {
  const sim = new SimulatedProvider()
  const { client: c } = client(sim, { breakerThreshold: 2 })
  for (let i = 0; i < 3; i++) await authorize(c, SimulatedTokens.DECLINE)
  const orderId = randomUUID()
  await authorize(c, SimulatedTokens.VISA, orderId)
  await c.void(voidOf(orderId))
  const capture = { orderId, providerRef: 'x', amount: 1000, currency: 'EUR', idempotencyKey: idempotencyKey(orderId, 'capture') }
  await t.rejects(c.capture(capture), ProviderRejectedError)
  await t.rejects(c.capture(capture), ProviderRejectedError)
  t.equal(sim.calls({ orderId, operation: 'capture' }), 2, 'one call each, no retry')
  t.equal(c.circuitState, 'closed')
})

t.test('the simulation is idempotent per order and operation, and keeps its books', async (t) => {
  const sim = new SimulatedProvider()
  const orderId = randomUUID()
  const first = await authorize(sim, SimulatedTokens.VISA, orderId)
  const again = await authorize(sim, SimulatedTokens.VISA, orderId)
  t.same(again, first, 'one authorization per order')
  if (first.outcome !== 'authorized') throw new Error('expected an authorization')
  const settle = { orderId, providerRef: first.providerRef, amount: 1000, currency: 'EUR' }
  const capture = { ...settle, idempotencyKey: idempotencyKey(orderId, 'capture') }
  const refund = { ...settle, idempotencyKey: idempotencyKey(orderId, 'refund') }
  t.ok(sim.isCharged(orderId))
  const captured = await sim.capture(capture)
  t.same(await sim.capture(capture), captured, 'one capture')
  await t.rejects(sim.void(voidOf(orderId)), ProviderRejectedError, 'a captured payment is refunded, not voided')
  const refunded = await sim.refund(refund)
  t.same(await sim.refund(refund), refunded, 'one refund')
  t.notOk(sim.isCharged(orderId))
  t.equal(sim.authorization(orderId)?.state, 'refunded')

  const unknown = randomUUID()
  t.match(await sim.capture({ ...settle, orderId: unknown, idempotencyKey: idempotencyKey(unknown, 'capture') }), { providerRef: /^sim_cap_/ }, 'a reference forgotten by a restart is taken on trust')
  await sim.void(voidOf(randomUUID()))
  const voided = randomUUID()
  await authorize(sim, SimulatedTokens.VISA, voided)
  await sim.void(voidOf(voided))
  await t.rejects(sim.refund({ ...settle, orderId: voided, idempotencyKey: idempotencyKey(voided, 'refund') }), ProviderRejectedError, 'nothing captured to refund')
  t.notOk(sim.isCharged(voided))
})

t.test('the simulation answers a repeated idempotency key with its first answer, doing nothing again', async (t) => {
  const sim = new SimulatedProvider()
  const orderId = randomUUID()
  const declined = await authorize(sim, SimulatedTokens.DECLINE, orderId)
  t.same(await authorize(sim, SimulatedTokens.VISA, orderId), declined, 'the key was answered: the first answer stands, whatever the request says now')
  t.equal(sim.authorization(orderId), undefined, 'nothing was authorized')
  t.equal(sim.calls({ orderId, replayed: true }), 1)

  const held = randomUUID()
  const first = await authorize(sim, SimulatedTokens.VISA, held)
  if (first.outcome !== 'authorized') throw new Error('expected an authorization')
  const capture = { orderId: held, providerRef: first.providerRef, amount: 1000, currency: 'EUR', idempotencyKey: idempotencyKey(held, 'capture') }
  const receipt = await sim.capture(capture)
  t.same(await sim.capture(capture), receipt, 'a capture asked again is answered the same')
  t.equal(sim.calls({ orderId: held, operation: 'capture', replayed: false }), 1, 'and captured once')
  t.equal(sim.calls({ orderId: held, operation: 'capture', replayed: true }), 1)
  await t.rejects(sim.refund({ ...capture }), { name: 'ProviderRejectedError', message: /was used for capture/ }, 'a key is for one operation')

  const flaky = new SimulatedProvider({ unavailableAttempts: 1 })
  const retried = randomUUID()
  await t.rejects(authorize(flaky, SimulatedTokens.UNAVAILABLE, retried), ProviderUnavailableError)
  t.match(await authorize(flaky, SimulatedTokens.UNAVAILABLE, retried), { outcome: 'authorized' }, 'a failure is not kept: the next attempt is answered')
})

t.test('random failures and latency for load runs', async (t) => {
  const failing = new SimulatedProvider({ failureRate: 0.5, random: () => 0.4 })
  await t.rejects(authorize(failing, SimulatedTokens.VISA), ProviderUnavailableError)
  const passing = new SimulatedProvider({ failureRate: 0.5, random: () => 0.6 })
  t.match(await authorize(passing, SimulatedTokens.VISA), { outcome: 'authorized' })

  const slow = new SimulatedProvider({ latencyMs: 80 })
  const started = Date.now()
  await authorize(slow, SimulatedTokens.VISA)
  t.ok(Date.now() - started >= 75, 'the latency is added')
  const { client: c } = client(slow, { timeoutMs: 30, retries: 0 })
  await t.rejects(authorize(c, SimulatedTokens.VISA), ProviderTimeoutError, 'latency beyond the timeout is cut')
})
