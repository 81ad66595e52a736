import {
  CancelShipment,
  CapturePayment,
  CommitStock,
  CreateShipment,
  OrderCancelRefused,
  OrderConfirmed,
  OrderFailed,
  OrderProgressed,
  RefundPayment,
  VoidPayment,
  type DataOf,
  type StockRejected,
  type SAGA_STEPS,
} from '@orderflow/contracts'
import { finishIfDone, releaseCommand, startCompensation } from './compensation.js'
import { onDeadline } from './saga-deadline.js'
import type { SagaInput } from './saga-input.js'
import { clip, declineFailure, HumanMessages, rejectionFailure } from './saga-messages.js'
import { message, NO_CHANGE, nextDeadline, type Clock, type Outgoing, type Saga, type SagaProgress, type Transition } from './saga.js'
import { settlementDeadline } from './settlement.js'
import { authorizeCommand } from './step-commands.js'

type View = Readonly<Saga>
type Step = (typeof SAGA_STEPS)[number]

const progress = (s: View, step: Step): Outgoing => message(OrderProgressed, { orderId: s.orderId, step })
const refusal = (s: View): Outgoing => message(OrderCancelRefused, { orderId: s.orderId, message: HumanMessages.cancelRefused })
/** Undoing, or done undoing: a step confirmed now came too late and must be undone too. */
const undoing = (s: View) => s.state === 'COMPENSATING' || s.state === 'FAILED' || s.state === 'CANCELLED'

/**
 * The saga's state machine: what one input does to a saga, as data (changes, messages to enqueue,
 * an outcome). Pure: no I/O, no clock but the one given. An input that means nothing in the
 * saga's state (a duplicate, a late answer) returns {@link NO_CHANGE}; nothing ever moves a
 * finished saga back, but a late reservation or authorization is undone again.
 */
export function applyToSaga(saga: View, input: SagaInput, clock: Clock): Transition {
  switch (input.kind) {
    case 'reserved':
      return onReserved(saga, clock)
    case 'rejected':
      return onRejected(saga, input.rejection)
    case 'authorized':
      return onAuthorized(saga, clock)
    case 'declined': {
      if (saga.state !== 'AUTHORIZING') return NO_CHANGE
      // A decline for a provider timeout compensates the same way: the void only confirms.
      const failure = declineFailure(input)
      return startCompensation(saga, { failure, detail: failure.message, release: true, void: true }, clock)
    }
    case 'released':
      return onUndone(saga, 'releaseRequestedAt', 'releasedAt', 'STOCK_RELEASED', clock)
    case 'voided':
      return onUndone(saga, 'voidRequestedAt', 'voidedAt', 'PAYMENT_VOIDED', clock)
    case 'refunded':
      return onUndone(saga, 'refundRequestedAt', 'refundedAt', 'PAYMENT_REFUNDED', clock)
    case 'committed':
      return onSettled(saga, { committedAt: clock.now }, 'STOCK_COMMITTED', clock)
    case 'captured':
      return onCaptured(saga, clock)
    case 'shipped':
      return onShipped(saga, clock)
    case 'delivered':
      return onDelivered(saga, clock)
    case 'shipment-cancelled':
      if (saga.state !== 'CANCELLING') return NO_CHANGE
      return startCompensation(
        saga,
        { detail: 'The shipment was stopped; restocking the items and refunding the payment.', release: true, void: false, with: { shipmentCancelledAt: clock.now } },
        clock,
      )
    case 'shipment-cancel-refused':
      return onCancelRefused(saga, clock)
    case 'cancel-requested':
      return onCancelRequested(saga, input.reason, clock)
    case 'deadline':
      return onDeadline(saga, clock)
  }
}

function onReserved(saga: View, clock: Clock): Transition {
  const now = clock.now
  if (saga.state === 'RESERVING') {
    if (!saga.paymentToken) {
      return startCompensation(
        saga,
        { failure: { reason: 'INVALID_ORDER', message: HumanMessages.noPayment }, detail: HumanMessages.noPayment, release: true, void: false, with: { reservedAt: now } },
        clock,
      )
    }
    // The token stays until the authorization is answered: the deadline may send it again.
    return {
      changes: { state: 'AUTHORIZING', reservedAt: now, deadlineAt: nextDeadline(clock) },
      send: [progress(saga, 'STOCK_RESERVED'), authorizeCommand(saga, saga.paymentToken)],
    }
  }
  if (saga.reservedAt || !undoing(saga)) return NO_CHANGE
  // Reserved after we gave up: the ReleaseStock sent may have reached inventory first and found
  // nothing to release. Release again; a compensating saga waits for this one too.
  const changes: Partial<SagaProgress> = { reservedAt: now }
  if (saga.state === 'COMPENSATING') Object.assign(changes, { releaseRequestedAt: now, releasedAt: null })
  return { changes, send: [releaseCommand(saga, saga.failureReason ?? 'CANCELLED')] }
}

function onRejected(saga: View, rejection: DataOf<typeof StockRejected>): Transition {
  if (saga.state !== 'RESERVING') return NO_CHANGE
  // Nothing was reserved and no payment was asked for: nothing to undo.
  const { reason, message: text } = rejectionFailure(rejection)
  return {
    changes: { state: 'FAILED', failureReason: reason, failureMessage: text, paymentToken: null, deadlineAt: null },
    send: [message(OrderFailed, { orderId: saga.orderId, reason, message: text })],
    outcome: 'FAILED',
  }
}

function onAuthorized(saga: View, clock: Clock): Transition {
  const now = clock.now
  if (saga.state === 'AUTHORIZING') {
    const { orderId } = saga
    return {
      changes: { state: 'CONFIRMED', authorizedAt: now, confirmedAt: now, shipmentRequestedAt: now, deadlineAt: nextDeadline(clock), paymentToken: null },
      send: [
        progress(saga, 'PAYMENT_AUTHORIZED'),
        message(CommitStock, { orderId }),
        message(CapturePayment, { orderId }),
        message(OrderConfirmed, { orderId }),
        message(CreateShipment, { orderId, customerId: saga.customerId, items: [...saga.items], ...(saga.shippingAddress ? { shippingAddress: saga.shippingAddress } : {}) }),
      ],
      outcome: 'CONFIRMED',
    }
  }
  if (saga.authorizedAt || !undoing(saga)) return NO_CHANGE
  // Authorized after we gave up: void it. A compensating saga that has no void confirmed yet
  // waits for it; one already confirmed means this authorization was voided with it.
  const changes: Partial<SagaProgress> = { authorizedAt: now }
  if (saga.state === 'COMPENSATING' && !saga.voidedAt) changes.voidRequestedAt = now
  return { changes, send: [message(VoidPayment, { orderId: saga.orderId })] }
}

type Asked = 'releaseRequestedAt' | 'voidRequestedAt' | 'refundRequestedAt'
type Done = 'releasedAt' | 'voidedAt' | 'refundedAt'

/** An undoing command was confirmed; the saga finishes when it was the last one owed. */
function onUndone(saga: View, asked: Asked, done: Done, step: Step, clock: Clock): Transition {
  if (saga.state !== 'COMPENSATING' || !saga[asked] || saga[done]) return NO_CHANGE
  const changes: Partial<SagaProgress> = {}
  changes[done] = clock.now
  return finishIfDone(saga, { changes, send: [progress(saga, step)] })
}

function onSettled(saga: View, changes: Partial<SagaProgress>, step: Step, clock: Clock): Transition {
  if (!saga.confirmedAt || (step === 'STOCK_COMMITTED' ? saga.committedAt : saga.capturedAt)) return NO_CHANGE
  const next = { ...saga, ...changes }
  return { changes: { ...changes, ...settlementDeadline(next, clock) }, send: [progress(saga, step)] }
}

function onCaptured(saga: View, clock: Clock): Transition {
  const t = onSettled(saga, { capturedAt: clock.now }, 'PAYMENT_CAPTURED', clock)
  // A cancellation after confirmation waited for the capture to refund it.
  if (t === NO_CHANGE || saga.state !== 'COMPENSATING' || saga.refundRequestedAt) return t
  return { changes: { ...t.changes, refundRequestedAt: clock.now }, send: [...t.send, message(RefundPayment, { orderId: saga.orderId })] }
}

function onShipped(saga: View, clock: Clock): Transition {
  if (saga.state !== 'CONFIRMED' && saga.state !== 'CANCELLING') return NO_CHANGE
  const changes: Partial<SagaProgress> = { state: 'SHIPPED', shippedAt: clock.now }
  // The goods left before fulfilment saw our CancelShipment: it will refuse; tell the customer now.
  const send = saga.state === 'CANCELLING' ? [refusal(saga)] : []
  if (saga.state === 'CANCELLING') changes.cancelRefusedAt = clock.now
  return { changes: { ...changes, ...settlementDeadline({ ...saga, ...changes }, clock) }, send }
}

function onDelivered(saga: View, clock: Clock): Transition {
  if (saga.state !== 'CONFIRMED' && saga.state !== 'SHIPPED' && saga.state !== 'CANCELLING') return NO_CHANGE
  const changes: Partial<SagaProgress> = { state: 'DELIVERED', deliveredAt: clock.now, shippedAt: saga.shippedAt ?? clock.now }
  const send = saga.state === 'CANCELLING' ? [refusal(saga)] : []
  if (saga.state === 'CANCELLING') changes.cancelRefusedAt = clock.now
  return { changes: { ...changes, ...settlementDeadline({ ...saga, ...changes }, clock) }, send, outcome: 'DELIVERED' }
}

function onCancelRefused(saga: View, clock: Clock): Transition {
  if (saga.state === 'CANCELLING') {
    const changes: Partial<SagaProgress> = { state: 'CONFIRMED', cancelRefusedAt: clock.now }
    return { changes: { ...changes, ...settlementDeadline({ ...saga, ...changes }, clock) }, send: [refusal(saga)] }
  }
  if ((saga.state === 'SHIPPED' || saga.state === 'DELIVERED') && saga.cancelRequestedAt && !saga.cancelRefusedAt) {
    return { changes: { cancelRefusedAt: clock.now }, send: [refusal(saga)] }
  }
  return NO_CHANGE
}

function onCancelRequested(saga: View, reason: string | undefined, clock: Clock): Transition {
  const now = clock.now
  const asked: Partial<SagaProgress> = { cancelRequestedAt: now, cancelReason: reason ? clip(reason) : null }
  switch (saga.state) {
    case 'RESERVING':
    case 'AUTHORIZING':
      return startCompensation(
        saga,
        { detail: reason ? clip(`Cancelled at your request: ${reason}`) : HumanMessages.cancelled, release: true, void: saga.state === 'AUTHORIZING', with: asked },
        clock,
      )
    case 'CONFIRMED':
      // Only fulfilment knows whether the goods have left; it answers cancelled or refused.
      return {
        changes: { ...asked, state: 'CANCELLING', cancelRefusedAt: null, shipmentCancelRequestedAt: now, deadlineAt: nextDeadline(clock) },
        send: [message(CancelShipment, { orderId: saga.orderId })],
      }
    case 'SHIPPED':
    case 'DELIVERED':
      return { changes: { ...asked, cancelRefusedAt: now }, send: [refusal(saga)] }
    case 'COMPENSATING':
      // Already undoing (a decline, a timeout): it ends as it was going to; noted for operators.
      return saga.cancelRequestedAt ? NO_CHANGE : { changes: asked, send: [] }
    case 'CANCELLING':
    case 'FAILED':
    case 'CANCELLED':
      return NO_CHANGE
  }
}
