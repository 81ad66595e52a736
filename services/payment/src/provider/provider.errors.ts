import type { ProviderOperation } from './payment-provider.js'

/** Something went wrong talking to the payment provider. */
export class ProviderError extends Error {
  override readonly name: string = 'ProviderError'
  constructor(
    readonly operation: ProviderOperation,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** The provider could not serve the call right now (5xx, connection refused); a retry may work. */
export class ProviderUnavailableError extends ProviderError {
  override readonly name = 'ProviderUnavailableError'
}

/**
 * The client gave up waiting. The provider may still have done the operation, so a retry must
 * use the same idempotency key (the order) — which every {@link PaymentProvider} call does.
 */
export class ProviderTimeoutError extends ProviderError {
  override readonly name = 'ProviderTimeoutError'
  constructor(operation: ProviderOperation, timeoutMs: number, options?: ErrorOptions) {
    super(operation, `provider did not answer ${operation} within ${timeoutMs} ms`, options)
  }
}

/** The circuit breaker is open: calls are refused without reaching the provider for a while. */
export class ProviderCircuitOpenError extends ProviderError {
  override readonly name = 'ProviderCircuitOpenError'
  constructor(operation: ProviderOperation, options?: ErrorOptions) {
    super(operation, `provider circuit is open; ${operation} not attempted`, options)
  }
}

/**
 * The provider refused the operation for good (capturing a voided authorization, refunding
 * what was never captured): no retry changes the answer.
 */
export class ProviderRejectedError extends ProviderError {
  override readonly name = 'ProviderRejectedError'
}

/** Worth another attempt: the failure says nothing about the request itself. */
export function isTransientProviderError(error: unknown): error is ProviderUnavailableError | ProviderTimeoutError {
  return error instanceof ProviderUnavailableError || error instanceof ProviderTimeoutError
}
