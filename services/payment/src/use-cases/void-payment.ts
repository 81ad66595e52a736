import type { CloudEvent, DataOf, VoidPayment } from '@orderflow/contracts'
import type { Delivery } from '@orderflow/messaging'
import { needsProviderVoid, voidedMayStillHold, voidStep } from '../domain/payment-status.js'
import type { NewPayment } from '../repositories/payments.sql.js'
import type { CommandDeps } from './command-deps.js'
import type { PaymentBatch } from './payment-batch.js'
import { PaymentCommandRefusedError } from './payment-command.errors.js'
import { voidedEvent } from './payment-events.js'
import { askProvider, voidCall, type ProviderCall } from './provider-call.js'

export type VoidCommand = CloudEvent<DataOf<typeof VoidPayment>>

/**
 * The payments statement one creates for orders that have none: VOIDED, without an amount, so
 * an authorization that comes later is refused.
 */
export function paymentsToVoid(commands: readonly VoidCommand[]): NewPayment[] {
  const orders = new Set(commands.map((c) => c.data.orderId))
  return [...orders].map((orderId) => ({ orderId, customerId: null, amount: null, currency: null, status: 'VOIDED' }))
}

/**
 * Voids the orders' payments (a compensation), and is final: VOIDED refuses any later
 * authorization. The payments are locked first, so a void waits for an authorization in flight
 * and then voids what it granted. Whatever the provider may hold is voided there — by reference,
 * or by order reference when an authorization was attempted whose answer we never got — under
 * the payment's void key, so asking again after a failure is safe; a payment already VOIDED was
 * voided at the provider when it was recorded, and only confirms. PaymentVoided is always said.
 * A captured payment cannot be voided: that is a refund's job, and the command is refused.
 */
export async function voidPayments(batch: PaymentBatch, commands: readonly Delivery<VoidCommand>[], deps: CommandDeps): Promise<void> {
  // Refused before anything is asked of the provider: the command is dead-lettered as it is.
  for (const { event } of commands) {
    const payment = batch.get(event.data.orderId)
    if (voidStep(payment.status) === 'refuse-captured') {
      throw new PaymentCommandRefusedError(payment.orderId, payment.status, `payment of order ${payment.orderId} is ${payment.status}; refund it instead of voiding`)
    }
  }
  for (const { record } of await askProvider(providerCalls(batch, commands, deps), deps.failedCalls)) batch.record([record])
  for (const delivery of commands) {
    const payment = batch.get(delivery.event.data.orderId)
    const step = voidStep(payment.status)
    if (step === 'void') batch.move(payment.orderId, { status: 'VOIDED' })
    batch.emit(delivery, voidedEvent(payment.orderId))
    deps.logger.debug({ order_id: payment.orderId, event_id: delivery.event.id, outcome: step === 'void' ? 'voided' : 'confirmed' }, 'payment voided')
  }
}

/**
 * One cancel per order whose provider may hold an authorization: one the void is about to mark
 * VOIDED, or — for a payment already VOIDED — one left by an attempt no void has covered.
 */
function providerCalls(batch: PaymentBatch, commands: readonly Delivery<VoidCommand>[], deps: CommandDeps): ProviderCall<undefined>[] {
  const calls = new Map<string, ProviderCall<undefined>>()
  for (const { event } of commands) {
    const payment = batch.get(event.data.orderId)
    if (calls.has(payment.orderId)) continue
    const cancel = voidStep(payment.status) === 'void' ? needsProviderVoid({ ...payment, status: 'VOIDED' }) : voidedMayStillHold(payment)
    if (cancel) calls.set(payment.orderId, voidCall(payment, deps.provider, undefined))
  }
  return [...calls.values()]
}
