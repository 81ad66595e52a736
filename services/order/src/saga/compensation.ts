import { CapturePayment, OrderCancelled, OrderFailed, OrderProgressed, RefundPayment, ReleaseStock, VoidPayment } from '@orderflow/contracts'
import { clip } from './saga-messages.js'
import { message, nextDeadline, type Clock, type FailureReason, type Outgoing, type Saga, type SagaProgress, type Transition } from './saga.js'

/** How a compensation starts: why, and which of the done (or maybe done) steps to undo. */
export interface CompensationPlan {
  /** The failure it ends in; without one it ends CANCELLED (the customer asked). */
  readonly failure?: { readonly reason: FailureReason; readonly message: string }
  /** Shown on the timeline with the COMPENSATING step. */
  readonly detail: string
  /** Send ReleaseStock: the stock is, or may be about to be, reserved. */
  readonly release: boolean
  /** Send VoidPayment: an authorization was asked for and may exist. */
  readonly void: boolean
  /** Further changes made with the move (the cancel request, the shipment's cancellation). */
  readonly with?: Partial<SagaProgress>
}

type View = Readonly<Saga>

const releaseOwed = (s: View) => Boolean(s.releaseRequestedAt) && !s.releasedAt
const voidOwed = (s: View) => Boolean(s.voidRequestedAt) && !s.voidedAt
/** After confirmation the payment was (or is being) captured: undoing it is a refund. */
const refundOwed = (s: View) => Boolean(s.confirmedAt) && !s.refundedAt

export function releaseCommand(s: View, why: string): Outgoing {
  return message(ReleaseStock, { orderId: s.orderId, reason: clip(why, 200) })
}

/**
 * Moves the saga into COMPENSATING and sends the undoing commands; finishes at once if there is
 * nothing to wait for. A refund waits for the capture it undoes (CapturePayment was sent at
 * confirmation), so a refund can never overtake its capture at the payment service.
 */
export function startCompensation(saga: View, plan: CompensationPlan, clock: Clock): Transition {
  const now = clock.now
  const changes: Partial<SagaProgress> = { ...plan.with, state: 'COMPENSATING', deadlineAt: nextDeadline(clock), paymentToken: null }
  if (plan.failure) {
    changes.failureReason = plan.failure.reason
    changes.failureMessage = clip(plan.failure.message)
  }
  const send: Outgoing[] = [message(OrderProgressed, { orderId: saga.orderId, step: 'COMPENSATING', detail: clip(plan.detail) })]
  const why = plan.failure?.reason ?? 'CANCELLED'
  if (plan.release) {
    changes.releaseRequestedAt = now
    changes.releasedAt = null
    send.push(releaseCommand(saga, why))
  }
  if (plan.void) {
    changes.voidRequestedAt = now
    changes.voidedAt = null
    send.push(message(VoidPayment, { orderId: saga.orderId }))
  }
  if (refundOwed(saga) && saga.capturedAt && !saga.refundRequestedAt) {
    changes.refundRequestedAt = now
    send.push(message(RefundPayment, { orderId: saga.orderId }))
  }
  return finishIfDone(saga, { changes, send })
}

/**
 * Ends a compensating saga once every undoing command is confirmed: FAILED with its reason, or
 * CANCELLED. Anything else is returned as it is.
 */
export function finishIfDone(saga: View, t: Transition): Transition {
  const m: View = { ...saga, ...t.changes }
  if (m.state !== 'COMPENSATING' || releaseOwed(m) || voidOwed(m) || refundOwed(m)) return t
  const changes: Partial<SagaProgress> = { ...t.changes, deadlineAt: null }
  if (m.failureReason) {
    changes.state = 'FAILED'
    const failed = message(OrderFailed, { orderId: m.orderId, reason: m.failureReason, message: m.failureMessage ?? m.failureReason })
    return { changes, send: [...t.send, failed], outcome: 'FAILED' }
  }
  changes.state = 'CANCELLED'
  const cancelled = message(OrderCancelled, { orderId: m.orderId, ...(m.cancelReason ? { reason: m.cancelReason } : {}) })
  return { changes, send: [...t.send, cancelled], outcome: 'CANCELLED' }
}

/** A compensating saga's deadline: send again whatever is still unanswered (every command is idempotent). */
export function resendCompensation(saga: View, clock: Clock): Transition {
  const changes: Partial<SagaProgress> = { deadlineAt: nextDeadline(clock) }
  const send: Outgoing[] = []
  if (releaseOwed(saga)) send.push(releaseCommand(saga, saga.failureReason ?? 'CANCELLED'))
  if (voidOwed(saga)) send.push(message(VoidPayment, { orderId: saga.orderId }))
  if (refundOwed(saga)) {
    if (saga.capturedAt) {
      changes.refundRequestedAt = clock.now
      send.push(message(RefundPayment, { orderId: saga.orderId }))
    } else {
      // The capture it must undo has not been confirmed: see it through first.
      send.push(message(CapturePayment, { orderId: saga.orderId }))
    }
  }
  return finishIfDone(saga, { changes, send })
}
