import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Registry } from 'prom-client'
import { accessLogPlugin } from './access-log.plugin.js'
import { authPlugin } from './auth.plugin.js'
import { errorHandlerPlugin, sendProblem, toProblemError } from './error-handler.plugin.js'
import { finiteNumbersPlugin } from './finite-numbers.plugin.js'
import { lifecyclePlugin } from './lifecycle.plugin.js'
import { metricsPlugin } from './metrics.plugin.js'
import { openapiPlugin } from './openapi.plugin.js'
import { probesPlugin } from './probes.plugin.js'
import { routeRoles } from './protected-routes.js'
import { checkRateLimits, rateLimitPlugin } from './rate-limit.plugin.js'
import { requestContextPlugin, requestIdFrom } from './request-context.plugin.js'
import { requestValidators } from './request-validators.js'
import { answerClientError, slowClientsPlugin } from './slow-clients.js'
import type { ServerOptions } from './server-options.js'
import { storableTextPlugin } from './storable-text.plugin.js'

/** The server {@link buildServer} returns: route handlers are typed from their TypeBox schemas. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** One route of a server, as {@link buildServer} records it. */
export interface RegisteredRoute {
  method: string
  /** The path as registered, with its prefix: `/v1/orders/:id`. */
  url: string
  /** The roles its role checks name; empty for a route without one. */
  roles: readonly string[]
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered so far (HEAD twins of GET routes left out); complete once the app is ready. */
    readonly registeredRoutes: readonly RegisteredRoute[]
  }
}

/** A routes plugin for an {@link App}: `const orderRoutes: Plugin<{ orders: OrderService }> = async (app, { orders }) => …` */
export type Plugin<O extends FastifyPluginOptions = Record<never, never>> = FastifyPluginAsyncTypebox<O>

/**
 * Builds a service's HTTP server without listening (tests call `app.inject()`; `main.ts` calls
 * `listen`). It has request ids, trace context, problem+json errors, `/livez`, `/readyz`,
 * `/metrics`, `/docs`, when `auth` is given, bearer-token verification for the routes a
 * service registers through `protectedRoutes`, and when `rateLimits` is given, per-caller limits
 * on every route but the probes, metrics and docs. Register routes on the returned instance.
 */
export function buildServer(opts: ServerOptions): App {
  const requestTimeout = opts.requestTimeoutMs ?? 10_000
  const headersTimeout = opts.headersTimeoutMs ?? 5_000
  if (!(headersTimeout > 0 && headersTimeout <= requestTimeout)) {
    throw new TypeError(`headersTimeoutMs (${headersTimeout}) must be positive and at most requestTimeoutMs (${requestTimeout})`)
  }
  if (opts.rateLimits) checkRateLimits(opts.rateLimits)
  const registry = opts.registry ?? new Registry()
  const app = Fastify({
    ...(opts.logger === undefined ? {} : { loggerInstance: opts.logger }),
    bodyLimit: opts.bodyLimit ?? 65_536,
    // A client that stops sending (a body shorter than its Content-Length, headers that never
    // end) gets 408 and loses its socket. Node looks for such clients every
    // connectionsCheckingInterval, 30 s by default: once a second keeps the cut near the limit.
    requestTimeout,
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    // What fails before a request exists (those timeouts, malformed HTTP) is a problem too.
    clientErrorHandler: answerClientError,
    // Query strings and parameters are coerced to their types, bodies are not.
    schemaController: { compilersFactory: requestValidators() },
    // Our genReqId reads x-request-id itself so that it can refuse unreasonable values.
    requestIdHeader: false,
    genReqId: requestIdFrom,
    // accessLogPlugin writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Off because its body is not a problem document; lifecyclePlugin answers 503 instead.
    return503OnClosing: false,
    // On close, idle keep-alive sockets are closed at once and busy ones after their response.
    forceCloseConnections: 'idle',
    // Report every invalid field at once rather than the first (the body limit bounds the work),
    // and refuse unknown fields instead of silently dropping them: a misspelt optional field
    // (`shipping_address`) must not vanish from an order without a word.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
    // Malformed URLs and over-long parameters fail before routing; answer them as problems too.
    frameworkErrors: (error, request, reply) => {
      sendProblem(request, reply, toProblemError(error, request))
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Every route as it is registered, child contexts included (root hooks reach them): the table
  // tests enumerate so that a new route cannot go without its access expectations.
  const routes: RegisteredRoute[] = []
  app.decorate('registeredRoutes', routes)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      // Fastify adds a HEAD route beside each GET; it runs the GET's hooks.
      if (method !== 'HEAD') routes.push({ method, url: route.url, roles: routeRoles(route) })
    }
  })

  // Bodies are JSON only: without the text/plain parser any other type gets 415.
  app.removeContentTypeParser('text/plain')

  void app.register(lifecyclePlugin)
  void app.register(requestContextPlugin)
  void app.register(accessLogPlugin)
  void app.register(errorHandlerPlugin)
  void app.register(storableTextPlugin)
  void app.register(finiteNumbersPlugin)
  void app.register(slowClientsPlugin)
  void app.register(metricsPlugin, { registry, defaultMetrics: opts.defaultMetrics ?? true })
  if (opts.auth) void app.register(authPlugin, opts.auth)
  // After auth (it keys callers by their verified token) and before any route: its onRoute hook
  // gives each route its group, and the routes registered below opt out.
  if (opts.rateLimits) void app.register(rateLimitPlugin, { ...opts.rateLimits, registry })
  if (opts.openapi !== false) {
    void app.register(openapiPlugin, {
      title: opts.openapi?.title ?? opts.serviceName,
      version: opts.openapi?.version ?? '0.0.0',
      description: opts.openapi?.description,
    })
  }
  void app.register(probesPlugin, { checks: opts.readiness ?? [], timeoutMs: opts.readinessTimeoutMs ?? 500 })
  return app
}
