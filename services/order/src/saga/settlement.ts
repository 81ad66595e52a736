import { CapturePayment, CommitStock } from '@orderflow/contracts'
import { message, nextDeadline, type Clock, type Outgoing, type Saga, type SagaProgress, type SagaState } from './saga.js'

/** States after confirmation that wait on nothing but the settlement of the order. */
const SETTLING: readonly SagaState[] = ['CONFIRMED', 'SHIPPED', 'DELIVERED']

/** CommitStock and CapturePayment were sent at confirmation; is an answer still missing? */
export function settlementOwed(s: Readonly<Saga>): boolean {
  return Boolean(s.confirmedAt) && (!s.committedAt || !s.capturedAt)
}

/**
 * The deadline a settling saga keeps: one while commit or capture is unanswered (so they are
 * re-sent), none once both are in. CANCELLING and COMPENSATING keep their own.
 */
export function settlementDeadline(s: Readonly<Saga>, clock: Clock): Pick<SagaProgress, 'deadlineAt'> | undefined {
  if (!SETTLING.includes(s.state)) return undefined
  if (!settlementOwed(s)) return { deadlineAt: null }
  return { deadlineAt: s.deadlineAt ?? nextDeadline(clock) }
}

/** CommitStock / CapturePayment again, for whichever is unanswered (both idempotent). */
export function resendSettlement(s: Readonly<Saga>): Outgoing[] {
  if (!s.confirmedAt) return []
  return [
    ...(s.committedAt ? [] : [message(CommitStock, { orderId: s.orderId })]),
    ...(s.capturedAt ? [] : [message(CapturePayment, { orderId: s.orderId })]),
  ]
}
