import type { CapturePayment, CloudEvent, DataOf, RefundPayment } from '@orderflow/contracts'
import type { Delivery } from '@orderflow/messaging'
import { captureStep, refundStep, type PaymentStatus, type SettleStep } from '../domain/payment-status.js'
import type { TransactionOperation } from '../entities/payment-transaction.entity.js'
import { idempotencyKey, type PaymentProvider, type ProviderOperation, type ProviderReceipt, type SettleRequest } from '../provider/payment-provider.js'
import type { PaymentRow } from '../repositories/payments.sql.js'
import type { CommandDeps } from './command-deps.js'
import type { PaymentBatch } from './payment-batch.js'
import { PaymentCommandRefusedError, PaymentNotSettledError } from './payment-command.errors.js'
import { capturedEvent, refundedEvent, type PaymentFacts } from './payment-events.js'
import { askProvider, type ProviderCall } from './provider-call.js'

export type CaptureCommand = CloudEvent<DataOf<typeof CapturePayment>>
export type RefundCommand = CloudEvent<DataOf<typeof RefundPayment>>
type SettleCommand = CaptureCommand | RefundCommand

/** Capture and refund differ only in these: which status they start from and where they lead. */
interface Settlement {
  readonly operation: TransactionOperation & ('CAPTURE' | 'REFUND')
  readonly providerOperation: ProviderOperation
  readonly step: (status: PaymentStatus) => SettleStep
  readonly to: PaymentStatus
  readonly call: (provider: PaymentProvider, request: SettleRequest) => Promise<ProviderReceipt>
  readonly event: (payment: PaymentFacts) => CloudEvent
}

const CAPTURE: Settlement = {
  operation: 'CAPTURE',
  providerOperation: 'capture',
  step: captureStep,
  to: 'CAPTURED',
  call: (provider, request) => provider.capture(request),
  event: capturedEvent,
}

const REFUND: Settlement = {
  operation: 'REFUND',
  providerOperation: 'refund',
  step: refundStep,
  to: 'REFUNDED',
  call: (provider, request) => provider.refund(request),
  event: refundedEvent,
}

/** AUTHORIZED → CAPTURED, exactly once per order; a captured payment replays PaymentCaptured. */
export function capturePayments(batch: PaymentBatch, commands: readonly Delivery<CaptureCommand>[], deps: CommandDeps): Promise<void> {
  return settle(CAPTURE, batch, commands, deps)
}

/** CAPTURED → REFUNDED, exactly once per order; a refunded payment replays PaymentRefunded. */
export function refundPayments(batch: PaymentBatch, commands: readonly Delivery<RefundCommand>[], deps: CommandDeps): Promise<void> {
  return settle(REFUND, batch, commands, deps)
}

/**
 * The payments are locked; every command is checked against its payment first (one that can
 * never apply is refused before the provider is asked anything), then the provider is asked once
 * per order that moves, under the payment's key for the operation — so a retry after a
 * transaction that died is answered the same and moves no money twice — and the status moves
 * with its event and the call's record in statement two. Another command for a payment already
 * settled replays its event.
 */
async function settle(s: Settlement, batch: PaymentBatch, commands: readonly Delivery<SettleCommand>[], deps: CommandDeps): Promise<void> {
  const calls = new Map<string, ProviderCall<ProviderReceipt>>()
  for (const { event } of commands) {
    const payment = batch.find(event.data.orderId)
    if (check(s, event.data.orderId, payment) === 'call-provider' && payment && !calls.has(payment.orderId)) {
      calls.set(payment.orderId, settleCall(s, payment, deps.provider))
    }
  }
  for (const { record } of await askProvider([...calls.values()], deps.failedCalls)) batch.record([record])
  for (const delivery of commands) {
    const payment = batch.get(delivery.event.data.orderId)
    const step = check(s, payment.orderId, payment)
    const now = step === 'call-provider' ? batch.move(payment.orderId, { status: s.to }) : payment
    batch.emit(delivery, s.event(now))
    deps.logger.debug({ order_id: payment.orderId, event_id: delivery.event.id, outcome: step === 'call-provider' ? 'settled' : 'replayed' }, `${s.providerOperation} done`)
  }
}

function settleCall(s: Settlement, payment: PaymentRow, provider: PaymentProvider): ProviderCall<ProviderReceipt> {
  const { orderId, providerRef, amount, currency } = payment
  if (providerRef == null || amount == null || currency == null) throw new Error(`payment of order ${orderId} is ${payment.status} without a reference or amount`)
  const request = { orderId, providerRef, amount, currency, idempotencyKey: idempotencyKey(orderId, s.providerOperation) }
  return {
    orderId,
    operation: s.operation,
    ask: () => s.call(provider, request),
    describe: (receipt) => ({ outcome: 'SUCCEEDED', providerRef: receipt.providerRef }),
  }
}

/** The step for the payment as it is; throws for a payment the command can never apply to. */
function check(s: Settlement, orderId: string, payment: PaymentRow | undefined): SettleStep {
  const operation = s.providerOperation
  if (!payment) throw new PaymentCommandRefusedError(orderId, 'NONE', `order ${orderId} has no payment to ${operation}`)
  const step = s.step(payment.status)
  if (step === 'refuse') throw new PaymentCommandRefusedError(orderId, payment.status, `payment of order ${orderId} is ${payment.status}; cannot ${operation}`)
  if (step === 'wait') throw new PaymentNotSettledError(orderId)
  return step
}
