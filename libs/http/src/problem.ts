import Type, { type Static } from 'typebox'

/**
 * An RFC 9457 problem document as every Orderflow API sends it (`application/problem+json`).
 * `code` is the stable, machine-readable identifier clients switch on; `title` is the short
 * human summary of that code and `detail` explains this occurrence. Extension members (such as
 * `errors` for validation failures, or `orderId`) may appear next to the standard ones, which is
 * why additional properties are allowed: a route that declares this schema for an error status
 * keeps them in the serialised body.
 */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI identifying the problem type', examples: ['urn:orderflow:problem:order-not-found'] }),
    title: Type.String({ description: 'Short summary of the problem type' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'Stable machine-readable code', examples: ['ORDER_NOT_FOUND'] }),
    detail: Type.Optional(Type.String({ description: 'Explanation of this occurrence' })),
    instance: Type.Optional(Type.String({ description: 'The request path that failed' })),
    requestId: Type.Optional(Type.String({ description: 'The x-request-id of the failed request, for support' })),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String({ examples: ['body.items[0].quantity'] }),
          message: Type.String({ examples: ['must be >= 1'] }),
        }),
        { description: 'Every field that failed validation (VALIDATION_FAILED only)' },
      ),
    ),
  },
  { additionalProperties: true, title: 'Problem' },
)

/** The body of a problem response. */
export type Problem = Static<typeof ProblemSchema> & Record<string, unknown>

/** One field that failed validation, as listed in a `VALIDATION_FAILED` problem's `errors`. */
export interface FieldError {
  /** Where the value is, e.g. `body.items[0].quantity` or `querystring.limit`. */
  field: string
  message: string
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/**
 * An OpenAPI response entry for an error status, for a route's `schema.response`:
 * `response: { 200: Order, 404: problemResponse('No such order') }`. Declaring it documents the
 * error in `/docs` under the right media type; the body itself is produced by the error handler.
 */
export function problemResponse(description: string): {
  description: string
  content: { 'application/problem+json': { schema: typeof ProblemSchema } }
} {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } }
}

/** What a catalogue factory (or `new ProblemError`) is given about one occurrence. */
export interface ProblemInit<X extends Record<string, unknown> = Record<string, unknown>> {
  /** Explanation of this occurrence, sent to the client: never put internals here. @default none */
  detail?: string
  /** Extension members added to the problem body, e.g. `{ orderId }`. @default none */
  extra?: X
  /** The error that led to this one; logged, never sent. @default none */
  cause?: unknown
  /** Response headers to send with the problem, e.g. `Retry-After`. @default none */
  headers?: Record<string, string>
}

export interface ProblemDefinition {
  /** HTTP status, 400–599. */
  status: number
  /** Short summary of the problem type, the same for every occurrence. */
  title: string
  /**
   * URI identifying the problem type.
   * @default `urn:orderflow:problem:<code in kebab case>`
   */
  type?: string
}

/**
 * An error that becomes a problem response with its own status and stable code. Throw it from a
 * route (usually through a {@link defineErrors} factory); the server's error handler renders it.
 */
export class ProblemError<
  C extends string = string,
  X extends Record<string, unknown> = Record<string, unknown>,
> extends Error {
  override readonly name = 'ProblemError'
  readonly code: C
  readonly status: number
  readonly title: string
  readonly type: string
  readonly detail: string | undefined
  readonly extra: X | undefined
  readonly headers: Record<string, string>

  constructor(code: C, definition: ProblemDefinition, init: ProblemInit<X> = {}) {
    super(init.detail ?? definition.title, init.cause === undefined ? undefined : { cause: init.cause })
    this.code = code
    this.status = definition.status
    this.title = definition.title
    this.type = definition.type ?? problemType(code)
    this.detail = init.detail
    this.extra = init.extra
    this.headers = init.headers ?? {}
  }

  /** The response body; `instance` and `requestId` locate the failed request. */
  toProblem(where: { instance?: string; requestId?: string } = {}): Problem {
    return {
      ...this.extra,
      type: this.type,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...where,
    }
  }
}

/** True for a {@link ProblemError} of any code, e.g. in a service's own error mapping. */
export function isProblemError(error: unknown): error is ProblemError {
  return error instanceof ProblemError
}

/** `ORDER_NOT_FOUND` → `urn:orderflow:problem:order-not-found`. */
export function problemType(code: string): string {
  return `urn:orderflow:problem:${code.toLowerCase().replaceAll('_', '-')}`
}
