/**
 * A payment's life. AUTHORIZING is recorded before the provider is called, so a crash or a void
 * in the middle is visible; DECLINED, VOIDED and REFUNDED are final.
 */
export const PAYMENT_STATUSES = ['AUTHORIZING', 'AUTHORIZED', 'DECLINED', 'CAPTURED', 'VOIDED', 'REFUNDED'] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

/**
 * Why the provider declined a payment. (PaymentDeclined may also say VOIDED: that payment's
 * status is VOIDED, not DECLINED.)
 */
export const DECLINE_REASONS = ['CARD_DECLINED', 'INSUFFICIENT_FUNDS'] as const
export type PaymentDeclineReason = (typeof DECLINE_REASONS)[number]

/** The part of a payment the rules look at. */
export interface PaymentState {
  readonly status: PaymentStatus
  /** Null only on the row a void records for an order that was never authorized. */
  readonly amount?: number | null | undefined
  readonly providerRef?: string | null | undefined
}

/**
 * Whether an authorization was ever started for the payment. A void that came first records a
 * VOIDED row without an amount; one with an amount may have left an authorization at the
 * provider, even one whose answer was lost.
 */
export function authorizationAttempted(p: PaymentState): boolean {
  return p.amount != null
}

export type AuthorizeStep =
  /** Ask the provider (first time, or again after a failed or lost attempt: it is idempotent). */
  | 'call-provider'
  /** Already authorized once: say so again, never charge again. */
  | 'replay-authorized'
  | 'replay-declined'
  /** Voided before the authorization settled: refuse it, cancelling at the provider if needed. */
  | 'refuse-voided'

/** What an authorize command does to a payment in this status. */
export function authorizeStep(status: PaymentStatus): AuthorizeStep {
  switch (status) {
    case 'AUTHORIZING':
      return 'call-provider'
    case 'AUTHORIZED':
    case 'CAPTURED':
    case 'REFUNDED':
      return 'replay-authorized'
    case 'DECLINED':
      return 'replay-declined'
    case 'VOIDED':
      return 'refuse-voided'
  }
}

export type VoidStep =
  /** Mark VOIDED (a late authorization is refused from now on). */
  | 'void'
  /** Nothing is held (declined, or already voided): just confirm. */
  | 'confirm'
  /** Money was taken; a void cannot give it back (a refund can). */
  | 'refuse-captured'

export function voidStep(status: PaymentStatus): VoidStep {
  switch (status) {
    case 'AUTHORIZING':
    case 'AUTHORIZED':
      return 'void'
    case 'DECLINED':
    case 'VOIDED':
      return 'confirm'
    case 'CAPTURED':
    case 'REFUNDED':
      return 'refuse-captured'
  }
}

/**
 * Whether a void must reach the provider: an authorization may exist there (started, or
 * granted and not yet known to us). Voids at the provider are idempotent, so asking again
 * after a failure or a crash is safe.
 */
export function needsProviderVoid(p: PaymentState): boolean {
  return (p.status === 'VOIDED' || p.status === 'AUTHORIZING' || p.status === 'AUTHORIZED') && authorizationAttempted(p)
}

export type SettleStep = 'call-provider' | 'replay' | 'wait' | 'refuse'

/** What a capture does: AUTHORIZED → CAPTURED once; a captured (or since refunded) payment replays. */
export function captureStep(status: PaymentStatus): SettleStep {
  if (status === 'AUTHORIZED') return 'call-provider'
  if (status === 'CAPTURED' || status === 'REFUNDED') return 'replay'
  // The authorization has not settled yet; the saga captures only after it has, so this passes.
  if (status === 'AUTHORIZING') return 'wait'
  return 'refuse'
}

/**
 * What a refund does: CAPTURED → REFUNDED once; a refunded payment replays. Anything else holds
 * no captured money, and a PaymentRefunded for it would be a refund that never happened (reports
 * would subtract it), so the command is refused rather than acknowledged with an event.
 */
export function refundStep(status: PaymentStatus): SettleStep {
  if (status === 'CAPTURED') return 'call-provider'
  if (status === 'REFUNDED') return 'replay'
  return 'refuse'
}
