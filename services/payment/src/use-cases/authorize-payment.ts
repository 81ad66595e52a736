import type { AuthorizePayment, CloudEvent, DataOf } from '@orderflow/contracts'
import type { Delivery } from '@orderflow/messaging'
import { authorizeStep, voidedMayStillHold, type PaymentDeclineReason } from '../domain/payment-status.js'
import { idempotencyKey, type AuthorizeResult } from '../provider/payment-provider.js'
import { ProviderTimeoutError } from '../provider/provider.errors.js'
import type { NewPayment, PaymentRow } from '../repositories/payments.sql.js'
import type { CommandDeps } from './command-deps.js'
import type { PaymentBatch } from './payment-batch.js'
import { authorizedEvent, declinedEvent, PROVIDER_TIMEOUT_MESSAGE, VOIDED_MESSAGE } from './payment-events.js'
import { askProvider, voidCall, type ProviderCall } from './provider-call.js'
import { cancelTimedOut } from './timed-out-authorizations.js'

export type AuthorizeCommand = CloudEvent<DataOf<typeof AuthorizePayment>>

/**
 * What the batch asks the provider for an order: its authorization — answered, or not in time
 * (after the client's own retries) — or a cancel of what may be held.
 */
type Asked =
  | { readonly kind: 'authorize'; readonly result: AuthorizeResult }
  | { readonly kind: 'timed-out'; readonly error: ProviderTimeoutError }
  | { readonly kind: 'cancel' }

/**
 * The payments statement one creates for orders that have none: AUTHORIZING, with the first
 * command's amount (a later command for the order cannot change it).
 */
export function paymentsToAuthorize(commands: readonly AuthorizeCommand[]): NewPayment[] {
  const first = new Map<string, NewPayment>()
  for (const { data } of commands) {
    if (!first.has(data.orderId)) first.set(data.orderId, { orderId: data.orderId, customerId: data.customerId ?? null, amount: data.amount, currency: data.currency, status: 'AUTHORIZING' })
  }
  return [...first.values()]
}

/**
 * Authorizes the orders' payments, once per order whatever the deliveries and commands. The
 * payments are locked (an AUTHORIZING one was created by statement one), so the provider is
 * asked while nobody else can touch them: a void for the order waits for the answer, then voids
 * what was authorized. The provider is asked once per order with the payment's own key; asked
 * again after a transaction that died, it answers the same and authorizes nothing twice.
 *
 * A payment already authorized or declined says so again without a provider call. A voided one
 * refuses the authorization (PaymentDeclined VOIDED) — cancelling at the provider, by order
 * reference, whatever an attempt no void covered may have left there: one that was recorded, or
 * one an earlier delivery of the command made before its transaction died.
 *
 * A provider that does not answer in time is a business answer, not an outage: the payment is
 * declined (PROVIDER_TIMEOUT) once whatever the provider may hold was cancelled (see
 * {@link cancelTimedOut}). It is DECLINED rather than VOIDED: a repeated authorize replays that
 * decline, PROVIDER_TIMEOUT, where VOIDED would answer VOIDED (and the table's CHECK ties a
 * decline reason to DECLINED); and a later void confirms without a provider call, which is safe
 * because the cancel was made in the very transaction that records DECLINED — as a void that
 * records VOIDED does. An unavailable provider or an open breaker stays an outage: the batch
 * fails and the command is redelivered.
 */
export async function authorizePayments(batch: PaymentBatch, commands: readonly Delivery<AuthorizeCommand>[], deps: CommandDeps): Promise<void> {
  const answers = new Map<string, Asked>()
  const answered = await askProvider(providerCalls(batch, commands, deps), deps.failedCalls)
  for (const { orderId, answer, record } of answered) {
    answers.set(orderId, answer)
    batch.record([record])
  }
  await cancelTimedOut(batch, answered.filter((a) => a.answer.kind === 'timed-out'), deps)
  for (const delivery of commands) {
    const { orderId } = delivery.event.data
    const payment = batch.get(orderId)
    const at = { order_id: payment.orderId, event_id: delivery.event.id }
    switch (authorizeStep(payment.status)) {
      case 'call-provider': {
        const verdict = verdictOf(answers.get(payment.orderId), orderId)
        if (verdict.outcome === 'authorized') {
          batch.emit(delivery, authorizedEvent(batch.move(orderId, { status: 'AUTHORIZED', providerRef: verdict.providerRef })))
          deps.logger.debug(at, 'payment authorized')
        } else {
          batch.move(orderId, { status: 'DECLINED', declineReason: verdict.reason, declineMessage: verdict.message })
          batch.emit(delivery, declinedEvent(payment.orderId, verdict.reason, verdict.message))
          deps.logger.info({ ...at, reason: verdict.reason }, 'payment declined')
        }
        break
      }
      case 'replay-authorized':
        batch.emit(delivery, authorizedEvent(payment))
        deps.logger.debug(at, 'authorization replayed')
        break
      case 'replay-declined':
        batch.emit(delivery, declinedEvent(payment.orderId, payment.declineReason ?? 'CARD_DECLINED', payment.declineMessage ?? 'The card was declined.'))
        deps.logger.debug(at, 'decline replayed')
        break
      case 'refuse-voided':
        batch.emit(delivery, declinedEvent(payment.orderId, 'VOIDED', VOIDED_MESSAGE))
        deps.logger.info({ ...at, cancelled: answers.has(payment.orderId) }, 'authorization refused: the payment was voided')
        break
    }
  }
}

type Verdict =
  | { readonly outcome: 'authorized'; readonly providerRef: string }
  | { readonly outcome: 'declined'; readonly reason: PaymentDeclineReason; readonly message: string }

/** What the provider's answer means for the payment; its silence, once cancelled, is our decline. */
function verdictOf(asked: Asked | undefined, orderId: string): Verdict {
  if (asked?.kind === 'authorize') return asked.result
  if (asked?.kind === 'timed-out') return { outcome: 'declined', reason: 'PROVIDER_TIMEOUT', message: PROVIDER_TIMEOUT_MESSAGE }
  throw new Error(`the provider was not asked to authorize order ${orderId}`)
}

/** At most one call per order, decided from the payment as statement one found it. */
function providerCalls(batch: PaymentBatch, commands: readonly Delivery<AuthorizeCommand>[], deps: CommandDeps): ProviderCall<Asked>[] {
  const calls = new Map<string, ProviderCall<Asked>>()
  for (const { event } of commands) {
    const cmd = event.data
    const payment = batch.get(cmd.orderId)
    if (calls.has(payment.orderId)) continue
    const step = authorizeStep(payment.status)
    if (step === 'call-provider') calls.set(payment.orderId, authorizeCall(payment, cmd, deps))
    else if (step === 'refuse-voided' && voidedMayStillHold(payment, repeated(payment, commands))) calls.set(payment.orderId, voidCall<Asked>(payment, deps.provider, { kind: 'cancel' }))
  }
  return [...calls.values()]
}

/** Whether a command for the order comes again (its earlier delivery may have reached the provider). */
function repeated(payment: PaymentRow, commands: readonly Delivery<AuthorizeCommand>[]): boolean {
  return commands.some((d) => d.deliveryCount > 1 && d.event.data.orderId.toLowerCase() === payment.orderId)
}

function authorizeCall(payment: PaymentRow, cmd: AuthorizeCommand['data'], deps: CommandDeps): ProviderCall<Asked> {
  const { orderId } = payment
  // The stored amount, not the command's: a second command for the order cannot change it.
  const request = { orderId, amount: payment.amount ?? cmd.amount, currency: payment.currency ?? cmd.currency, token: cmd.token, idempotencyKey: idempotencyKey(orderId, 'authorize') }
  return {
    orderId,
    operation: 'AUTHORIZE',
    ask: async () => {
      try {
        return { kind: 'authorize', result: await deps.provider.authorize(request) }
      } catch (error) {
        // Only a timeout is an answer; an unavailable provider or an open breaker fails the batch.
        if (error instanceof ProviderTimeoutError) return { kind: 'timed-out', error }
        throw error
      }
    },
    describe: (asked) => {
      if (asked.kind === 'timed-out') return { outcome: 'TIMEOUT', error: asked.error.message }
      if (asked.kind !== 'authorize') return { outcome: 'SUCCEEDED' }
      const { result } = asked
      return result.outcome === 'authorized' ? { outcome: 'SUCCEEDED', providerRef: result.providerRef } : { outcome: 'DECLINED', error: `${result.reason}: ${result.message}` }
    },
  }
}
