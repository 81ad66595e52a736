import { ProblemError, type ProblemDefinition, type ProblemInit } from './problem.js'

/** Creates one coded error; a string is taken as the `detail`. */
export interface ProblemFactory<C extends string> {
  <X extends Record<string, unknown> = Record<string, unknown>>(init?: ProblemInit<X> | string): ProblemError<C, X>
  readonly code: C
  readonly status: number
  readonly title: string
}

/** The factories {@link defineErrors} returns, one per code. */
export type ErrorCatalogue<D extends Record<string, ProblemDefinition>> = {
  readonly [C in keyof D & string]: ProblemFactory<C>
}

/**
 * Declares a service's coded errors once, so every occurrence of a problem carries the same
 * status, title and code:
 *
 * ```ts
 * export const OrderErrors = defineErrors({
 *   ORDER_NOT_FOUND: { status: 404, title: 'Order not found' },
 * })
 * throw OrderErrors.ORDER_NOT_FOUND({ detail: `no order ${id}`, extra: { orderId: id } })
 * ```
 */
export function defineErrors<const D extends Record<string, ProblemDefinition>>(definitions: D): ErrorCatalogue<D> {
  const catalogue: Record<string, ProblemFactory<string>> = {}
  for (const [code, definition] of Object.entries(definitions)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) throw new TypeError(`error code ${code} must be UPPER_SNAKE_CASE`)
    if (!Number.isInteger(definition.status) || definition.status < 400 || definition.status > 599) {
      throw new TypeError(`error ${code}: status ${definition.status} is not an HTTP error status`)
    }
    const factory = <X extends Record<string, unknown>>(init?: ProblemInit<X> | string): ProblemError<string, X> =>
      new ProblemError<string, X>(code, definition, typeof init === 'string' ? { detail: init } : init)
    catalogue[code] = Object.assign(factory, { code, status: definition.status, title: definition.title })
  }
  // The loop built exactly one factory per key of D, which the mapped type describes.
  return catalogue as ErrorCatalogue<D>
}

/**
 * The codes the server itself produces. Services add their own with {@link defineErrors};
 * these names are reserved.
 */
export const HttpErrors = defineErrors({
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  URI_TOO_LONG: { status: 414, title: 'URI too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal server error' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  NOT_READY: { status: 503, title: 'Not ready' },
  SHUTTING_DOWN: { status: 503, title: 'Shutting down' },
  AUTH_UNAVAILABLE: { status: 503, title: 'Token keys unavailable' },
})
