import type { FastifyBaseLogger } from 'fastify'
import type { Registry } from 'prom-client'

/**
 * How bearer tokens are verified. Give exactly one of `hsSecrets` or `jwksUrl`.
 * See `authOptionsFromSettings` to build it from the `JWT_*` environment settings.
 */
export interface AuthOptions {
  /**
   * HS256 secrets: the first signs (`app.jwt.sign`), every one verifies, so a secret is rotated
   * by prepending the new one and dropping the old one after the longest token lifetime.
   * @default none (then `jwksUrl` is required)
   */
  hsSecrets?: readonly string[] | undefined
  /** JWKS URL of an identity provider whose RS256 tokens are accepted (instead of `hsSecrets`). @default none */
  jwksUrl?: string | undefined
  /** Required `iss` claim. @default unchecked */
  issuer?: string | undefined
  /** Required `aud` claim (one of the token's audiences must match). @default unchecked */
  audience?: string | undefined
  /** How long a JWKS fetch may take before the request gets 503 `AUTH_UNAVAILABLE`. @default 5000 */
  jwksTimeoutMs?: number | undefined
  /** Seconds of clock skew tolerated on `exp` and `nbf`. @default 0 */
  clockToleranceSec?: number | undefined
}

/** One dependency `/readyz` checks, such as the database or NATS. */
export interface ReadinessCheck {
  /** Named in the `/readyz` body, e.g. `database`. */
  name: string
  /** Resolves when the dependency is usable; throws (or rejects) when not. */
  check: () => Promise<void> | void
}

/** What `/docs` describes. */
export interface OpenApiOptions {
  /** @default the service name */
  title?: string
  /** The API's version, e.g. the package version. @default 0.0.0 */
  version?: string
  /** Markdown shown under the title. @default none */
  description?: string
}

/**
 * The route groups a caller's requests are counted in, each with its own limit:
 * - `reads`: GET and HEAD;
 * - `writes`: every other method (POST, PUT, PATCH, DELETE);
 * - `admin`: operators' routes, those whose role checks name only `ops:*` roles (the dead-letter
 *   API, a saga's state), whatever their method.
 *
 * A route may name its group itself with `config: { rateLimitGroup: 'admin' }`, or stay outside
 * every group with `config: { rateLimit: false }` (the probes, `/metrics` and `/docs` do).
 */
export type RateLimitGroup = 'reads' | 'writes' | 'admin'

/**
 * Per-caller limits. A caller is the verified token's subject, else (no token, or one that does
 * not verify) the client address, so a forged token never reaches its subject's bucket. Counts
 * live in this process: with N replicas behind a load balancer a caller gets up to N times the
 * limit. Over the limit a request gets 429 `RATE_LIMITED` with `Retry-After`; every limited
 * response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 * See `rateLimitsFromSettings` to build it from the `RATE_LIMIT_*` environment settings.
 */
export interface RateLimitOptions {
  /** Requests a caller may make in a minute, per route group; 0 for no limit on that group. */
  perMinute: Readonly<Record<RateLimitGroup, number>>
}

export interface ServerOptions {
  /** The service's short name, e.g. `order`; the default OpenAPI title. */
  serviceName: string
  /**
   * The process's pino logger (from `@orderflow/telemetry`'s `createLogger`); every request logs
   * through a child carrying its request id and trace id.
   * @default no logging
   */
  logger?: FastifyBaseLogger | undefined
  /** Largest request body in bytes; larger ones get 413 `PAYLOAD_TOO_LARGE`. @default 65536 */
  bodyLimit?: number | undefined
  /**
   * Longest a client may take to send a whole request, headers and body; past it the server
   * answers 408 `REQUEST_TIMEOUT` and closes the connection, so a client that sends less body
   * than its `Content-Length` promises cannot hold a socket forever. The handler's own time does
   * not count. @default 10000
   */
  requestTimeoutMs?: number | undefined
  /**
   * Longest a client may take to send a request's headers, from the start of the connection or
   * the end of its previous request; 408 past it. At most `requestTimeoutMs`. @default 5000
   */
  headersTimeoutMs?: number | undefined
  /**
   * Token verification. Without it the server has no auth and `protectedRoutes` refuses to
   * register, so a service cannot expose a protected route by mistake.
   * @default no auth
   */
  auth?: AuthOptions | undefined
  /** Dependencies `/readyz` checks in parallel. @default [] (ready unless shutting down) */
  readiness?: readonly ReadinessCheck[] | undefined
  /**
   * Longest a readiness check may take before it counts as failed; keep it below the probe's
   * `timeoutSeconds`. @default 500
   */
  readinessTimeoutMs?: number | undefined
  /**
   * The Prometheus registry `/metrics` serves; pass the one the service's other libraries
   * (messaging, outbox) register on so one scrape sees everything.
   * @default a new registry
   */
  registry?: Registry | undefined
  /** Register prom-client's default process metrics on the registry (once per registry). @default true */
  defaultMetrics?: boolean | undefined
  /**
   * Per-caller request limits by route group. Services pass `rateLimitsFromSettings(config)`.
   * @default no limits
   */
  rateLimits?: RateLimitOptions | undefined
  /** OpenAPI document at `/docs/json` with a UI at `/docs`. `false` turns both off. @default enabled */
  openapi?: OpenApiOptions | false | undefined
}
