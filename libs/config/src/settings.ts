import Type from 'typebox'

/**
 * Settings most services share, as schema fragments a service spreads into its own
 * `Type.Object({...})`. The keys are the environment variable names; the chart and `make up`
 * set exactly these.
 */

export const LogSettings = {
  /** @default info */
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info' }),
}

export const HttpSettings = {
  /** Interface to listen on. @default 0.0.0.0 (every interface, as a pod needs) */
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** Largest request body accepted; larger ones get 413. @default 65536 */
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 65_536 }),
  /**
   * Longest a client may take to send a whole request (headers and body); past it the server
   * answers 408 and closes the connection, so a body shorter than its Content-Length cannot hold
   * a socket forever. @default 10000
   */
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** Longest a client may take to send a request's headers; 408 past it. At most REQUEST_TIMEOUT_MS. @default 5000 */
  HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /**
   * How long readiness reports 503 before the server stops accepting, so load balancers
   * notice first. @default 0 locally; the chart sets a few seconds.
   */
  SHUTDOWN_DRAIN_DELAY_MS: Type.Integer({ minimum: 0, default: 0 }),
  /** Hard limit for a graceful shutdown; after it the process exits anyway. @default 15000 */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 15_000 }),
  /**
   * Per-caller limits in this process: a caller is its verified token's subject, else its
   * address; a request over its group's limit gets 429. Probes, /metrics and /docs are never
   * limited. @default true
   */
  RATE_LIMIT_ENABLED: Type.Boolean({ default: true }),
  /** Requests a minute per caller to GET and HEAD routes; 0: no limit. @default 1200 */
  RATE_LIMIT_READS_PER_MINUTE: Type.Integer({ minimum: 0, default: 1200 }),
  /** Requests a minute per caller to POST, PUT, PATCH and DELETE routes; 0: no limit. @default 600 */
  RATE_LIMIT_WRITES_PER_MINUTE: Type.Integer({ minimum: 0, default: 600 }),
  /** Requests a minute per caller to operators' routes (roles `ops:*`: dead letters, sagas); 0: no limit. @default 120 */
  RATE_LIMIT_ADMIN_PER_MINUTE: Type.Integer({ minimum: 0, default: 120 }),
}

export const AuthSettings = {
  /**
   * Comma-separated HS256 secrets: the first signs, all verify, so a secret can be rotated by
   * prepending the new one and dropping the old one after the longest token lifetime.
   */
  JWT_SECRETS: Type.Optional(Type.String({ minLength: 1 })),
  /** JWKS URL for RS256 tokens from an identity provider; used instead of JWT_SECRETS. */
  JWT_JWKS_URL: Type.Optional(Type.String({ format: 'uri' })),
  /** Expected `iss` claim; unchecked when unset. */
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  /** Expected `aud` claim; unchecked when unset. */
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
}

export const NatsSettings = {
  /** Comma-separated NATS server URLs. @default nats://127.0.0.1:4222 */
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  /**
   * The service's own NATS user and password, where the server has users (the chart's
   * `nats.auth`: each service may publish and consume only its own subjects). @default none
   */
  NATS_USER: Type.Optional(Type.String({ minLength: 1 })),
  NATS_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  /** Replicas of each stream: 1 on one server, 3 in a cluster. @default 1 */
  STREAM_REPLICAS: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
  /**
   * Prefix for every stream and subject, so several installations share one NATS (`blue` →
   * `BLUE_ORDERS`, `blue.order.evt.created`). Every service of an installation sets the same.
   * @default '' (the platform's own names)
   */
  NATS_NAMESPACE: Type.String({ pattern: '^([a-z][a-z0-9]{0,15})?$', default: '' }),
}

export const DatabaseSettings = {
  /** postgres://user:password@host:port/database of the service's own database. */
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** Connections at most in each of the service's two pools (hot path, ORM). @default 10 */
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
}
