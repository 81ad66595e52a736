/**
 * The boundary to a card payment provider. The service only ever talks to a provider through
 * this interface (wrapped in {@link ResilientProvider}), so the in-process simulation can be
 * replaced by a real provider's client without touching the use cases.
 *
 * Every operation is idempotent per order, as real providers make it with an idempotency key
 * (here the order id and the operation): a repeated call returns the first call's result and
 * moves no money again. That is what makes a retry after a timeout safe — the first call may
 * well have succeeded at the provider.
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

/** Why a provider refused an authorization; the customer's card decides, a retry does not help. */
export type DeclineReason = 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS'

export interface AuthorizeRequest {
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

export interface SettleRequest {
  readonly orderId: string
  /** The authorization's reference. */
  readonly providerRef: string
  readonly amount: number
  readonly currency: string
}

export interface VoidRequest {
  readonly orderId: string
  /** The authorization's reference, when it is known. */
  readonly providerRef?: string | undefined
}

/** The provider's reference for a capture or refund. */
export interface ProviderReceipt {
  readonly providerRef: string
}
