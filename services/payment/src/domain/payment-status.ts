/**
 * A payment's life. AUTHORIZING is the payment while its authorization is asked for: the row is
 * created and locked with it, and the same transaction records the answer, so other transactions
 * wait rather than see it (a row left AUTHORIZING by an earlier version of the service is still
 * handled). DECLINED, VOIDED and REFUNDED are final.
 */
export const PAYMENT_STATUSES = ['AUTHORIZING', 'AUTHORIZED', 'DECLINED', 'CAPTURED', 'VOIDED', 'REFUNDED'] as const
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number]

/**
 * Why a payment was declined: the provider's answer (CARD_DECLINED, INSUFFICIENT_FUNDS), or ours
 * when the provider did not answer in time (PROVIDER_TIMEOUT, after cancelling whatever it may
 * hold). (PaymentDeclined may also say VOIDED: that payment's status is VOIDED, not DECLINED.)
 */
export const DECLINE_REASONS = ['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'PROVIDER_TIMEOUT'] as const
export type PaymentDeclineReason = (typeof DECLINE_REASONS)[number]

/** The part of a payment the rules look at. */
export interface PaymentState {
  readonly status: PaymentStatus
  /** Null only on the row a void records for an order that was never authorized. */
  readonly amount?: number | null | undefined
  readonly providerRef?: string | null | undefined
  /**
   * Whether a call to authorize was recorded for the order (its failures are recorded even
   * when the transaction that made it rolled back): the only trace an attempt leaves when a
   * void then finds no payment and records one without an amount.
   */
  readonly authorizeCalled?: boolean | undefined
}

/**
 * Whether an authorization was ever started for the payment. A void that came first records a
 * VOIDED row without an amount; one with an amount, or one for an order whose authorization was
 * asked for (and failed, or was never answered), may have left an authorization at the provider.
 */
export function authorizationAttempted(p: PaymentState): boolean {
  return p.amount != null || p.authorizeCalled === true
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
 * granted and not yet known to us). Voids at the provider are idempotent (one key per payment),
 * so asking again after a failure or a crash is safe.
 */
export function needsProviderVoid(p: PaymentState): boolean {
  return (p.status === 'VOIDED' || p.status === 'AUTHORIZING' || p.status === 'AUTHORIZED') && authorizationAttempted(p)
}

/**
 * For a payment already VOIDED: whether the provider may still hold an authorization that no
 * void has cancelled. A void that found an authorization voided it at the provider in the very
 * transaction that recorded VOIDED, so only a void that came first — nothing attempted then,
 * no amount — leaves a gap: an attempt that left a trace since (a failed call recorded), or an
 * authorize command coming again (`commandRepeated`: its earlier delivery may have reached the
 * provider before its transaction died).
 */
export function voidedMayStillHold(p: PaymentState, commandRepeated = false): boolean {
  return p.status === 'VOIDED' && p.amount == null && (p.authorizeCalled === true || commandRepeated)
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
