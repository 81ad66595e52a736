import type { DataOf, AuthorizePayment } from '@orderflow/contracts'
import type { EntityManager } from '@mikro-orm/postgresql'
import { enqueueEvents, processOnce, type InboxKey, type Orm } from '@orderflow/db'
import { authorizationAttempted, authorizeStep, type PaymentStatus } from '../domain/payment-status.js'
import type { IPayment } from '../entities/payment.entity.js'
import type { AuthorizeResult, PaymentProvider } from '../provider/payment-provider.js'
import { alreadyProcessed, lockOrCreatePayment, lockPayment } from '../repositories/payments.repository.js'
import { authorizedEvent, declinedEvent, VOIDED_MESSAGE } from './payment-events.js'
import { callProvider } from './provider-call.js'

export type AuthorizeCommand = DataOf<typeof AuthorizePayment>

export type AuthorizeOutcome = 'duplicate' | 'authorized' | 'declined' | 'replayed' | 'refused-voided'

/** The payment changed under a settling authorization: a void won, so the authorization must not stand. */
class VoidedMeanwhile extends Error {
  override readonly name = 'VoidedMeanwhile'
}

interface Snapshot {
  readonly status: PaymentStatus
  readonly amount: number | null
  readonly currency: string | null
  readonly providerRef: string | null
}

/**
 * Authorizes the order's payment, once per order whatever the deliveries. No transaction is held
 * across the provider call: AUTHORIZING is recorded first (so a void can see and overtake it),
 * the provider is asked, then the answer, its event and the inbox row commit together — only if
 * the payment is still AUTHORIZING. If a void got there first, an authorization the provider
 * granted is voided at the provider and the command ends in PaymentDeclined(VOIDED).
 *
 * Transient provider failures throw, so the consumer retries with its backoff; the provider is
 * idempotent per order, so asking again never authorizes twice.
 */
export async function authorizePayment(orm: Orm, provider: PaymentProvider, cmd: AuthorizeCommand, key: InboxKey): Promise<AuthorizeOutcome> {
  if (await alreadyProcessed(orm.em.fork(), key)) return 'duplicate'
  const start = await startAuthorization(orm, cmd)
  const step = authorizeStep(start.status)
  if (step === 'replay-authorized' || step === 'replay-declined') return replayOutcome(orm, key, cmd.orderId)
  if (step === 'refuse-voided') {
    // A void that came first left nothing at the provider; one that overtook an attempt may have.
    const cancel = authorizationAttempted(start) ? { providerRef: start.providerRef ?? undefined } : undefined
    return refuseVoided(orm, provider, key, cmd.orderId, cancel)
  }

  // The stored amount, not the command's: a second command for the order cannot change it.
  const result = await callProvider(
    orm,
    cmd.orderId,
    'AUTHORIZE',
    () => provider.authorize({ orderId: cmd.orderId, amount: start.amount ?? cmd.amount, currency: start.currency ?? cmd.currency, token: cmd.token }),
    (r) => (r.outcome === 'authorized' ? { outcome: 'SUCCEEDED', providerRef: r.providerRef } : { outcome: 'DECLINED', error: `${r.reason}: ${r.message}` }),
  )
  try {
    return await settleAuthorization(orm, key, cmd.orderId, result)
  } catch (error) {
    if (!(error instanceof VoidedMeanwhile)) throw error
    const cancel = result.outcome === 'authorized' ? { providerRef: result.providerRef } : undefined
    return refuseVoided(orm, provider, key, cmd.orderId, cancel)
  }
}

/** First, short transaction: the payment exists and is AUTHORIZING, or says what it already is. */
async function startAuthorization(orm: Orm, cmd: AuthorizeCommand): Promise<Snapshot> {
  return orm.em.fork().transactional(async (em) => {
    const { payment } = await lockOrCreatePayment(em, { orderId: cmd.orderId, amount: cmd.amount, currency: cmd.currency, status: 'AUTHORIZING' })
    return { status: payment.status, amount: payment.amount ?? null, currency: payment.currency ?? null, providerRef: payment.providerRef ?? null }
  })
}

/** Second transaction: the provider's answer, if the payment is still waiting for it. */
async function settleAuthorization(orm: Orm, key: InboxKey, orderId: string, result: AuthorizeResult): Promise<AuthorizeOutcome> {
  const done = await processOnce(orm, key, async (em) => {
    const payment = await lockPayment(em, orderId)
    if (!payment) throw new Error(`payment of order ${orderId} vanished while authorizing`)
    const now = authorizeStep(payment.status)
    // Thrown to roll the inbox row back: the void at the provider comes first, outside any transaction.
    if (now === 'refuse-voided') throw new VoidedMeanwhile(`payment of order ${orderId} was voided while authorizing`)
    // Another delivery settled it first (both asked the provider, which answered both the same).
    if (now !== 'call-provider') return replay(em, payment)
    if (result.outcome === 'authorized') {
      payment.status = 'AUTHORIZED'
      payment.providerRef = result.providerRef
      enqueueEvents(em, [authorizedEvent(payment)])
      return 'authorized' as const
    }
    payment.status = 'DECLINED'
    payment.declineReason = result.reason
    payment.declineMessage = result.message
    enqueueEvents(em, [declinedEvent(orderId, result.reason, result.message)])
    return 'declined' as const
  })
  return done.duplicate ? 'duplicate' : done.result
}

/**
 * The payment was voided: the authorization is refused. Whatever the provider may hold for the
 * order — the authorization just granted, or one whose answer an earlier delivery lost — is
 * voided there first (idempotent; by order reference when we have no authorization reference).
 */
async function refuseVoided(
  orm: Orm,
  provider: PaymentProvider,
  key: InboxKey,
  orderId: string,
  cancel: { providerRef: string | undefined } | undefined,
): Promise<AuthorizeOutcome> {
  const providerRef = cancel?.providerRef
  if (cancel) await callProvider(orm, orderId, 'VOID', () => provider.void({ orderId, providerRef }), () => ({ outcome: 'SUCCEEDED', providerRef }))
  const done = await processOnce(orm, key, async (em) => {
    const payment = await lockPayment(em, orderId)
    // Keeps the reference of what was voided, for whoever reads the payment later.
    if (payment && providerRef && !payment.providerRef) payment.providerRef = providerRef
    enqueueEvents(em, [declinedEvent(orderId, 'VOIDED', VOIDED_MESSAGE)])
    return 'refused-voided' as const
  })
  return done.duplicate ? 'duplicate' : done.result
}

async function replayOutcome(orm: Orm, key: InboxKey, orderId: string): Promise<AuthorizeOutcome> {
  const done = await processOnce(orm, key, async (em) => {
    const payment = await lockPayment(em, orderId)
    if (!payment) throw new Error(`payment of order ${orderId} vanished`)
    return replay(em, payment)
  })
  return done.duplicate ? 'duplicate' : done.result
}

/** Says again what the payment's authorization came to, without asking the provider. */
function replay(em: EntityManager, payment: IPayment): 'replayed' | 'refused-voided' {
  if (payment.status === 'DECLINED') {
    enqueueEvents(em, [declinedEvent(payment.orderId, payment.declineReason ?? 'CARD_DECLINED', payment.declineMessage ?? 'The card was declined.')])
  } else if (payment.status === 'VOIDED') {
    enqueueEvents(em, [declinedEvent(payment.orderId, 'VOIDED', VOIDED_MESSAGE)])
    return 'refused-voided'
  } else {
    enqueueEvents(em, [authorizedEvent(payment)])
  }
  return 'replayed'
}
