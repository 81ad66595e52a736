/**
 * @orderflow/http — the Fastify 5 server every Orderflow API is built on: TypeBox-typed routes,
 * problem+json errors with stable codes, bearer-token auth for protected routes, per-caller rate
 * limits, probes, Prometheus metrics, OpenAPI docs and a graceful shutdown.
 */
export { buildServer } from './build-server.js'
export type { App, Plugin, RegisteredRoute } from './build-server.js'
export type { AuthOptions, OpenApiOptions, RateLimitGroup, RateLimitOptions, ReadinessCheck, ServerOptions } from './server-options.js'

export { isProblemError, ProblemError, ProblemSchema, problemResponse, problemType, PROBLEM_CONTENT_TYPE } from './problem.js'
export type { FieldError, Problem, ProblemDefinition, ProblemInit } from './problem.js'
export { defineErrors, HttpErrors } from './errors.js'
export { validationFailed } from './validation.js'
export type { ErrorCatalogue, ProblemFactory } from './errors.js'

export { CUSTOMER_ROLE, customerScope, protectedRoutes, requireAnyRole, requireRoles } from './protected-routes.js'
export type { RoleCheck } from './protected-routes.js'
export { authOptionsFromSettings } from './auth-settings.js'
export type { AuthSettingValues } from './auth-settings.js'
export { rateLimitsFromSettings } from './rate-limit-settings.js'
export type { RateLimitSettingValues } from './rate-limit-settings.js'
export { MAX_SUBJECT_LENGTH } from './auth.plugin.js'
export type { AuthUser, TokenClaims } from './auth.plugin.js'
export { BEARER_SCHEME } from './openapi.plugin.js'
export { REQUEST_ID_HEADER } from './request-context.plugin.js'
export { UNMATCHED_ROUTE } from './metrics.plugin.js'
export { metricOnce } from './metric-once.js'

export { installShutdown } from './shutdown.js'
export type { Shutdown, ShutdownOptions, ShutdownStep } from './shutdown.js'
export type { Lifecycle } from './lifecycle.plugin.js'
