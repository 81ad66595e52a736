import { enqueueEvents, processOnce, type InboxKey, type Orm } from '@orderflow/db'
import { needsProviderVoid, voidStep } from '../domain/payment-status.js'
import type { PaymentProvider } from '../provider/payment-provider.js'
import { alreadyProcessed, lockOrCreatePayment } from '../repositories/payments.repository.js'
import { PaymentCommandRefusedError } from './payment-command.errors.js'
import { voidedEvent } from './payment-events.js'
import { callProvider } from './provider-call.js'

export type VoidOutcome = 'duplicate' | 'voided' | 'confirmed'

/**
 * Voids the order's payment (a compensation), and is final: VOIDED is recorded first, in a short
 * transaction, so an authorization still in flight is refused when it settles, and an order with
 * no payment yet gets a VOIDED row that refuses a late authorize. Then whatever the provider may
 * hold is voided there (idempotent, so a retry after a failure asks again), and PaymentVoided is
 * enqueued with the inbox row. A captured payment cannot be voided: that is a refund's job.
 */
export async function voidPayment(orm: Orm, provider: PaymentProvider, orderId: string, key: InboxKey): Promise<VoidOutcome> {
  if (await alreadyProcessed(orm.em.fork(), key)) return 'duplicate'
  const started = await orm.em.fork().transactional(async (em) => {
    const { payment, created } = await lockOrCreatePayment(em, { orderId, amount: null, currency: null, status: 'VOIDED' })
    if (created) return { outcome: 'confirmed' as const, cancel: undefined }
    const step = voidStep(payment.status)
    if (step === 'refuse-captured') {
      throw new PaymentCommandRefusedError(orderId, payment.status, `payment of order ${orderId} is ${payment.status}; refund it instead of voiding`)
    }
    if (step === 'void') payment.status = 'VOIDED'
    const cancel = needsProviderVoid(payment) ? { providerRef: payment.providerRef ?? undefined } : undefined
    return { outcome: step === 'void' ? ('voided' as const) : ('confirmed' as const), cancel }
  })

  const { cancel } = started
  if (cancel) {
    await callProvider(orm, orderId, 'VOID', () => provider.void({ orderId, providerRef: cancel.providerRef }), () => ({
      outcome: 'SUCCEEDED',
      providerRef: cancel.providerRef,
    }))
  }
  const done = await processOnce(orm, key, (em) => {
    enqueueEvents(em, [voidedEvent(orderId)])
    return started.outcome
  })
  return done.duplicate ? 'duplicate' : done.result
}
