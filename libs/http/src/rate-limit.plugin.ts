import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import { HttpErrors } from './errors.js'
import { metricOnce } from './metric-once.js'
import { problemResponse } from './problem.js'
import { routeRoles } from './protected-routes.js'
import type { RateLimitGroup, RateLimitOptions } from './server-options.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The group whose limit the route's requests count against. @default by its roles and method */
    rateLimitGroup?: RateLimitGroup
  }
}

export interface RateLimitPluginOptions extends RateLimitOptions {
  /** Where `http_requests_rate_limited_total` is registered: the server's registry. */
  registry: Registry
}

const RATE_LIMIT_GROUPS: readonly RateLimitGroup[] = ['reads', 'writes', 'admin']

/** Every limit counts requests in a fixed window of a minute, as the settings are worded. */
const WINDOW_MS = 60_000

/**
 * Callers remembered per group in this process; past it the one seen least recently is forgotten
 * and starts counting again. Bounds the memory a flood of addresses or subjects can take (an
 * entry is a key and three numbers, some 200 bytes).
 */
const CALLERS_PER_GROUP = 20_000

const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/** Operators' roles: a route that needs nothing but these is in the `admin` group. */
const OPERATOR_ROLE_PREFIX = 'ops:'

/** The group of a route as it is registered; see {@link RateLimitGroup}. */
function routeGroup(route: Pick<RouteOptions, 'method' | 'onRequest' | 'preHandler' | 'config'>): RateLimitGroup {
  const named = route.config?.rateLimitGroup
  if (named !== undefined) return named
  const roles = routeRoles(route)
  if (roles.length > 0 && roles.every((role) => role.startsWith(OPERATOR_ROLE_PREFIX))) return 'admin'
  return [route.method].flat().every((method) => READ_METHODS.has(method)) ? 'reads' : 'writes'
}

/** Throws when a limit is not a whole number of requests (0 meaning none), so a bad setting fails at start. */
export function checkRateLimits({ perMinute }: RateLimitOptions): void {
  for (const group of RATE_LIMIT_GROUPS) {
    const limit = perMinute[group]
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new TypeError(`rateLimits.perMinute.${group} (${limit}) must be a whole number of requests, 0 for no limit`)
    }
  }
}

/**
 * Counts each caller's requests per route group and refuses those over the group's limit with
 * 429 `RATE_LIMITED`, through `@fastify/rate-limit` (its in-memory store, its draft IETF
 * `RateLimit-*` headers). The check is a root `onRequest` hook, so it runs before a protected
 * context's token check: requests with no valid token count against their address too, and the
 * token is verified once for both (`verifiedSubject`).
 */
const rateLimit: FastifyPluginAsync<RateLimitPluginOptions> = async (app, { perMinute, registry }) => {
  const name = 'http_requests_rate_limited_total'
  const limited = metricOnce(
    registry,
    name,
    Counter,
    () => new Counter({ name, help: 'Requests refused with 429 because their caller was over its limit', labelNames: ['route_group'], registers: [registry] }),
  )
  // global: false — the plugin's own per-route hooks would run after the protected contexts'
  // token check, so requests that fail it would never count; the hook below calls it instead.
  await app.register(fastifyRateLimit, { global: false, enableDraftSpec: true })

  const verifiedSubject = app.hasDecorator('verifiedSubject') ? app.verifiedSubject : undefined
  const callerKey = async (request: FastifyRequest): Promise<string> => {
    const subject = await verifiedSubject?.(request)
    // Prefixed, so that a subject spelled like an address never shares that address's bucket.
    // An IPv6 address counts by its /64, which one client usually holds whole (the plugin's default).
    return subject === undefined ? `address:${normalizeIP(request.ip)}` : `subject:${subject}`
  }

  const checks = new Map<RateLimitGroup, ReturnType<typeof app.rateLimit>>()
  for (const group of RATE_LIMIT_GROUPS) {
    const max = perMinute[group]
    if (max === 0) continue
    // The series exists from the start, so a dashboard shows 0 rather than nothing.
    limited.inc({ route_group: group }, 0)
    const check = app.rateLimit({
      max,
      timeWindow: WINDOW_MS,
      cache: CALLERS_PER_GROUP,
      keyGenerator: callerKey,
      onExceeded: () => limited.inc({ route_group: group }),
      // What it returns is thrown, so the error handler sends it like any other problem.
      errorResponseBuilder: (_request, context) => {
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000))
        return HttpErrors.RATE_LIMITED({
          detail: `More than ${max} requests a minute from this caller to ${group} routes; retry in ${seconds} s.`,
          headers: { 'retry-after': String(seconds) },
          extra: { routeGroup: group, limitPerMinute: max },
        })
      },
    })
    checks.set(group, check)
  }
  if (checks.size === 0) return

  app.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === false) return
    const group = routeGroup(route)
    route.config = { ...route.config, rateLimitGroup: group }
    if (route.schema?.hide || !checks.has(group)) return
    // The OpenAPI document shows the 429, as protectedRoutes shows the 401 and 403.
    route.schema = {
      ...route.schema,
      response: {
        429: problemResponse(`The caller is over its limit of ${perMinute[group]} requests a minute to ${group} routes (see Retry-After)`),
        ...(isRecord(route.schema?.response) ? route.schema.response : {}),
      },
    }
  })
  app.addHook('onRequest', async function limit(request, reply) {
    const { config } = request.routeOptions
    if (config.rateLimit === false) return
    // A request no route matched (a 404) has no group of its own: its method decides.
    const group = config.rateLimitGroup ?? (READ_METHODS.has(request.method) ? 'reads' : 'writes')
    await checks.get(group)?.call(this, request, reply)
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

// fastify-plugin: the hooks must see every route and request of the server.
export const rateLimitPlugin = fp(rateLimit, { name: '@orderflow/http/rate-limit', fastify: '5.x' })
