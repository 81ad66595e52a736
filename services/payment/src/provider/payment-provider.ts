/**
 * The boundary to a card payment provider. The service only ever talks to a provider through
 * this interface (wrapped in {@link ResilientProvider}), so the in-process simulation can be
 * replaced by a real provider's client without touching the use cases.
 *
 * Every request carries an idempotency key, stable per payment and operation
 * ({@link idempotencyKey}): the provider keeps its answer per key, and a repeated request gets
 * that same answer and moves no money again. That is what makes asking again safe — after a
 * timeout, when the first call may well have succeeded, and after our transaction died once the
 * provider had answered (the answer was never recorded; the retry asks, and is told the same).
 */
export interface PaymentProvider {
  authorize(request: AuthorizeRequest, signal?: AbortSignal): Promise<AuthorizeResult>
  /** Takes the authorized amount. */
  capture(request: SettleRequest, signal?: AbortSignal): Promise<ProviderReceipt>
  /**
   * Cancels an authorization that was not captured. Without `providerRef` it is a cancel by
   * order reference (a "technical cancel"): whatever authorization the provider holds for the
   * order, if any, is voided — the way out when an authorization's answer was lost.
   */
  void(request: VoidRequest, signal?: AbortSignal): Promise<void>
  /** Gives a captured amount back. */
  refund(request: SettleRequest, signal?: AbortSignal): Promise<ProviderReceipt>
}

export type ProviderOperation = 'authorize' | 'capture' | 'void' | 'refund'

/**
 * The key of an operation on an order's payment: one per payment and operation, whatever the
 * command, delivery or attempt, so every retry of it is the same request to the provider.
 */
export function idempotencyKey(orderId: string, operation: ProviderOperation): string {
  return `${orderId}:${operation}`
}

/** What every request carries: the provider answers a repeated key with its first answer. */
export interface IdempotentRequest {
  readonly idempotencyKey: string
}

/** Why a provider refused an authorization; the customer's card decides, a retry does not help. */
export type DeclineReason = 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS'

export interface AuthorizeRequest extends IdempotentRequest {
  readonly orderId: string
  /** Minor units. */
  readonly amount: number
  readonly currency: string
  /** The provider's card token (never a card number). */
  readonly token: string
}

export type AuthorizeResult =
  | { readonly outcome: 'authorized'; readonly providerRef: string }
  | { readonly outcome: 'declined'; readonly reason: DeclineReason; readonly message: string }

export interface SettleRequest extends IdempotentRequest {
  readonly orderId: string
  /** The authorization's reference. */
  readonly providerRef: string
  readonly amount: number
  readonly currency: string
}

export interface VoidRequest extends IdempotentRequest {
  readonly orderId: string
  /** The authorization's reference, when it is known. */
  readonly providerRef?: string | undefined
}

/** The provider's reference for a capture or refund. */
export interface ProviderReceipt {
  readonly providerRef: string
}
