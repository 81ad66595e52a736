import type { EntityManager } from '@mikro-orm/postgresql'
import type { CloudEvent } from '@orderflow/contracts'
import { enqueueEvents, processOnce, type InboxKey, type Orm } from '@orderflow/db'
import { captureStep, refundStep, type PaymentStatus, type SettleStep } from '../domain/payment-status.js'
import type { TransactionOperation } from '../entities/payment-transaction.entity.js'
import type { IPayment } from '../entities/payment.entity.js'
import type { PaymentProvider, ProviderReceipt, SettleRequest } from '../provider/payment-provider.js'
import { alreadyProcessed, findPayment, lockPayment } from '../repositories/payments.repository.js'
import { PaymentCommandRefusedError, PaymentNotSettledError } from './payment-command.errors.js'
import { capturedEvent, refundedEvent } from './payment-events.js'
import { callProvider } from './provider-call.js'

export type SettleOutcome = 'duplicate' | 'settled' | 'replayed'

/** Capture and refund differ only in these: which status they start from and where they lead. */
interface Settlement {
  readonly operation: TransactionOperation
  readonly step: (status: PaymentStatus) => SettleStep
  readonly to: PaymentStatus
  readonly call: (provider: PaymentProvider, request: SettleRequest) => Promise<ProviderReceipt>
  readonly event: (payment: IPayment) => CloudEvent
}

const CAPTURE: Settlement = {
  operation: 'CAPTURE',
  step: captureStep,
  to: 'CAPTURED',
  call: (provider, request) => provider.capture(request),
  event: capturedEvent,
}

const REFUND: Settlement = {
  operation: 'REFUND',
  step: refundStep,
  to: 'REFUNDED',
  call: (provider, request) => provider.refund(request),
  event: refundedEvent,
}

/** AUTHORIZED → CAPTURED, exactly once per order; a captured payment replays PaymentCaptured. */
export function capturePayment(orm: Orm, provider: PaymentProvider, orderId: string, key: InboxKey): Promise<SettleOutcome> {
  return settle(CAPTURE, orm, provider, orderId, key)
}

/** CAPTURED → REFUNDED, exactly once per order; a refunded payment replays PaymentRefunded. */
export function refundPayment(orm: Orm, provider: PaymentProvider, orderId: string, key: InboxKey): Promise<SettleOutcome> {
  return settle(REFUND, orm, provider, orderId, key)
}

/**
 * Read the payment, ask the provider (outside any transaction), then move the status and enqueue
 * the event with the inbox row, if the payment has not moved meanwhile. Two deliveries at once
 * may both ask the provider; it is idempotent per order and operation, so money moves once and
 * the second delivery replays the first's event.
 */
async function settle(s: Settlement, orm: Orm, provider: PaymentProvider, orderId: string, key: InboxKey): Promise<SettleOutcome> {
  if (await alreadyProcessed(orm.em.fork(), key)) return 'duplicate'
  const payment = await findPayment(orm.em.fork(), orderId)
  const step = check(s, orderId, payment)
  if (step === 'call-provider' && payment) {
    const { providerRef, amount, currency } = payment
    if (providerRef == null || amount == null || currency == null) throw new Error(`payment of order ${orderId} is ${payment.status} without a reference or amount`)
    await callProvider(orm, orderId, s.operation, () => s.call(provider, { orderId, providerRef, amount, currency }), (r) => ({
      outcome: 'SUCCEEDED',
      providerRef: r.providerRef,
    }))
  }
  const done = await processOnce(orm, key, async (em: EntityManager) => {
    const current = await lockPayment(em, orderId)
    const now = check(s, orderId, current)
    if (!current || now === 'wait' || now === 'refuse') throw new Error(`payment of order ${orderId} moved while settling`)
    const outcome: SettleOutcome = now === 'call-provider' ? 'settled' : 'replayed'
    if (now === 'call-provider') current.status = s.to
    enqueueEvents(em, [s.event(current)])
    return outcome
  })
  return done.duplicate ? 'duplicate' : done.result
}

/** The step for the payment as it is; throws for a payment the command can never apply to. */
function check(s: Settlement, orderId: string, payment: IPayment | null): SettleStep {
  if (!payment) throw new PaymentCommandRefusedError(orderId, 'NONE', `order ${orderId} has no payment to ${s.operation.toLowerCase()}`)
  const step = s.step(payment.status)
  if (step === 'refuse') throw new PaymentCommandRefusedError(orderId, payment.status, `payment of order ${orderId} is ${payment.status}; cannot ${s.operation.toLowerCase()}`)
  if (step === 'wait') throw new PaymentNotSettledError(orderId)
  return step
}
