import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { CapturePayment, RefundPayment, VoidPayment, type CloudEvent } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import { handleBatch } from '@orderflow/testing/service'
import { ProviderUnavailableError } from '../src/provider/provider.errors.js'
import { authorizeFor, commandFor, failNextCallRecord, outboxFor, paymentConsumers, paymentRow, paymentTestbed, transactionsFor } from './testbed.js'

// Batches as the runner hands them to a consumer (several events, two for one order, a copy of
// one), and transactions that die after the provider answered.
const tb = await paymentTestbed(t, { PROVIDER_RETRIES: '0' })
const sim = tb.sim
const c = paymentConsumers(tb)

const types = async (orderId: string) =>
  (await outboxFor(tb.orm, orderId)).map((e) => `${e.type.replace(/^orderflow\.payment\.(\w+)\.v1$/, '$1')}${typeof e.data.reason === 'string' ? `:${e.data.reason}` : ''}`)

/** Everything the service and the provider did for an order. */
async function outcome(orderId: string) {
  return {
    events: await types(orderId),
    status: (await paymentRow(tb.orm, orderId))?.status,
    calls: await transactionsFor(tb.orm, orderId),
    moved: sim.calls({ orderId, replayed: false }),
    charged: sim.isCharged(orderId),
  }
}

/**
 * Runs the same commands (built for fresh orders by `events`) once as one batch and once event
 * by event, after `prepare` put each order where the scenario starts, and compares the outcomes.
 */
async function sameBothWays<E extends CloudEvent>(
  t: Test,
  aliases: readonly string[],
  prepare: (orderId: string, alias: string) => Promise<void>,
  events: (ids: Record<string, string>) => E[],
  consumer: Consumer<E, BatchTx>,
) {
  const outcomes = []
  for (const mode of ['batch', 'one by one'] as const) {
    const ids = Object.fromEntries(aliases.map((a) => [a, randomUUID()]))
    for (const alias of aliases) await prepare(ids[alias] ?? '', alias)
    const batch = events(ids)
    if (mode === 'batch') await handleBatch(tb.ctx, consumer, batch)
    else for (const event of batch) await handleBatch(tb.ctx, consumer, [event])
    outcomes.push(Object.fromEntries(await Promise.all(aliases.map(async (a) => [a, await outcome(ids[a] ?? '')] as const))))
  }
  t.same(outcomes[0], outcomes[1], 'a batch ends as its events one by one')
  return outcomes[0] ?? {}
}

const authorized = async (orderId: string) => handleBatch(tb.ctx, c.authorize, [authorizeFor(orderId)])
const captured = async (orderId: string) => {
  await authorized(orderId)
  await handleBatch(tb.ctx, c.capture, [commandFor(CapturePayment, orderId)])
}

t.test('authorize: a batch with two commands for one order and a copy of one ends as one by one', async (t) => {
  const outcomes = await sameBothWays(
    t,
    ['visa', 'decline', 'funds'],
    async () => undefined,
    (ids) => {
      const first = authorizeFor(ids.visa ?? '')
      return [first, authorizeFor(ids.decline ?? '', 'tok_decline'), first, authorizeFor(ids.visa ?? ''), authorizeFor(ids.funds ?? '', 'tok_insufficient_funds')]
    },
    c.authorize,
  )
  t.match(outcomes, {
    visa: { events: ['authorized', 'authorized'], status: 'AUTHORIZED', calls: ['AUTHORIZE:SUCCEEDED'], moved: 1, charged: true },
    decline: { events: ['declined:CARD_DECLINED'], status: 'DECLINED', calls: ['AUTHORIZE:DECLINED'] },
    funds: { events: ['declined:INSUFFICIENT_FUNDS'], status: 'DECLINED' },
  })
})

t.test('capture, void and refund batches end as one by one', async (t) => {
  const capture = await sameBothWays(
    t,
    ['a', 'b'],
    authorized,
    (ids) => {
      const first = commandFor(CapturePayment, ids.a ?? '')
      return [first, commandFor(CapturePayment, ids.b ?? ''), first, commandFor(CapturePayment, ids.a ?? '')]
    },
    c.capture,
  )
  t.match(capture, { a: { events: ['authorized', 'captured', 'captured'], status: 'CAPTURED', calls: ['AUTHORIZE:SUCCEEDED', 'CAPTURE:SUCCEEDED'], moved: 2 } })

  const voided = await sameBothWays(
    t,
    ['held', 'none'],
    async (orderId, alias) => (alias === 'held' ? authorized(orderId) : undefined),
    (ids) => {
      const first = commandFor(VoidPayment, ids.held ?? '')
      return [first, commandFor(VoidPayment, ids.none ?? ''), first, commandFor(VoidPayment, ids.held ?? '')]
    },
    c.void,
  )
  t.match(voided, {
    held: { events: ['authorized', 'voided', 'voided'], status: 'VOIDED', charged: false },
    none: { events: ['voided'], status: 'VOIDED', calls: [], moved: 0 },
  })

  const refund = await sameBothWays(
    t,
    ['a'],
    captured,
    (ids) => {
      const first = commandFor(RefundPayment, ids.a ?? '')
      return [first, first, commandFor(RefundPayment, ids.a ?? '')]
    },
    c.refund,
  )
  t.match(refund, { a: { events: ['authorized', 'captured', 'refunded', 'refunded'], status: 'REFUNDED', charged: false } })
})

t.test('a batch whose provider call fails rolls back; its retry is answered the same and moves no money twice', async (t) => {
  const ok = randomUUID()
  const flaky = randomUUID()
  await t.rejects(handleBatch(tb.ctx, c.authorize, [authorizeFor(ok), authorizeFor(flaky, 'tok_unavailable')]), ProviderUnavailableError)
  t.ok(sim.isCharged(ok), 'the provider authorized the other order')
  t.equal(await paymentRow(tb.orm, ok), undefined, 'which the rolled-back batch did not keep')

  await handleBatch(tb.ctx, c.authorize, [authorizeFor(ok)])
  t.equal(sim.calls({ orderId: ok, operation: 'authorize' }), 2, 'asked again')
  t.equal(sim.calls({ orderId: ok, operation: 'authorize', replayed: false }), 1, 'authorized once')
  t.match(await outcome(ok), { events: ['authorized'], status: 'AUTHORIZED', calls: ['AUTHORIZE:SUCCEEDED'] })
})

t.test('an authorization whose transaction dies after the provider answered: one authorization, one record', async (t) => {
  const orderId = randomUUID()
  await failNextCallRecord(tb, orderId)
  const cmd = authorizeFor(orderId)
  await t.rejects(handleBatch(tb.ctx, c.authorize, [cmd]), /injected/)
  t.ok(sim.isCharged(orderId), 'the provider authorized')
  t.equal(await paymentRow(tb.orm, orderId), undefined, 'nothing of it was kept here')
  t.same(await transactionsFor(tb.orm, orderId), [])

  await handleBatch(tb.ctx, c.authorize, [cmd], 2)
  t.equal(sim.calls({ orderId, operation: 'authorize' }), 2, 'the retry asked again')
  t.equal(sim.calls({ orderId, operation: 'authorize', replayed: false }), 1, 'and was answered the same, without a second authorization')
  t.equal((await paymentRow(tb.orm, orderId))?.provider_ref, sim.authorization(orderId)?.providerRef)
  t.match(await outcome(orderId), { events: ['authorized'], status: 'AUTHORIZED', calls: ['AUTHORIZE:SUCCEEDED'] })
})

t.test('a capture whose transaction dies after the provider answered: captured once, recorded once', async (t) => {
  const orderId = randomUUID()
  await authorized(orderId)
  await failNextCallRecord(tb, orderId)
  const capture = commandFor(CapturePayment, orderId)
  await t.rejects(handleBatch(tb.ctx, c.capture, [capture]), /injected/)
  t.equal(sim.authorization(orderId)?.state, 'captured', 'the provider captured')
  t.equal((await paymentRow(tb.orm, orderId))?.status, 'AUTHORIZED', 'nothing of it was kept here')

  await handleBatch(tb.ctx, c.capture, [capture], 2)
  t.equal(sim.calls({ orderId, operation: 'capture' }), 2, 'the retry asked again')
  t.equal(sim.calls({ orderId, operation: 'capture', replayed: false }), 1, 'one capture at the provider')
  t.match(await outcome(orderId), { events: ['authorized', 'captured'], status: 'CAPTURED', calls: ['AUTHORIZE:SUCCEEDED', 'CAPTURE:SUCCEEDED'] })
})
