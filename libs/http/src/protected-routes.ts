import type { FastifyPluginOptions, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpErrors } from './errors.js'
import { problemResponse } from './problem.js'
import { BEARER_SCHEME } from './openapi.plugin.js'

const kRoles = Symbol('orderflow.requiredRoles')

/** A route hook made by {@link requireRoles}; it remembers its roles for the OpenAPI document. */
export interface RoleCheck {
  (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  readonly [kRoles]: readonly string[]
}

/**
 * A route hook that lets the request through only when the token's `roles` claim holds every one
 * of `roles`; otherwise a 403 `FORBIDDEN` problem naming the missing ones. Use it on routes
 * inside {@link protectedRoutes}: `{ onRequest: requireRoles('orders:write') }`. Outside them
 * there is no user and the request gets 401, so a misplaced route fails closed.
 */
export function requireRoles(...roles: readonly string[]): RoleCheck {
  if (roles.length === 0) throw new TypeError('requireRoles needs at least one role')
  const check = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    // `user` is declared non-null for handlers, but it is null until a token has been verified.
    const user: FastifyRequest['user'] | null = request.user
    if (!user) {
      return done(HttpErrors.UNAUTHORIZED({ detail: 'This route needs a bearer token.', headers: { 'www-authenticate': 'Bearer' } }))
    }
    const missing = roles.filter((role) => !user.roles.includes(role))
    if (missing.length > 0) {
      return done(
        HttpErrors.FORBIDDEN({
          detail: `The token lacks the role${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`,
          extra: { missingRoles: missing },
          headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
        }),
      )
    }
    done()
  }
  return Object.assign(check, { [kRoles]: roles })
}

function isRoleCheck(hook: unknown): hook is RoleCheck {
  return typeof hook === 'function' && kRoles in hook
}

function rolesOf(hooks: unknown): string[] {
  const list: unknown[] = Array.isArray(hooks) ? hooks : [hooks]
  return list.flatMap((hook) => (isRoleCheck(hook) ? hook[kRoles] : []))
}

/**
 * Wraps a routes plugin so that every route in it needs a valid bearer token. The routes run in
 * a child context whose `onRequest` hook verifies the token (before the body is even read), so
 * routes registered outside it (probes, metrics, docs) stay public:
 *
 * ```ts
 * app.register(protectedRoutes(orderRoutes, { orders }), { prefix: '/v1' })
 * ```
 *
 * The OpenAPI document marks these routes with the bearer scheme (listing the roles from
 * {@link requireRoles}) and documents their 401 and 403 problems.
 */
export function protectedRoutes(routes: FastifyPluginAsyncTypebox): FastifyPluginAsyncTypebox
export function protectedRoutes<O extends FastifyPluginOptions>(routes: FastifyPluginAsyncTypebox<O>, options: O): FastifyPluginAsyncTypebox
export function protectedRoutes(
  routes: FastifyPluginAsyncTypebox<FastifyPluginOptions>,
  options: FastifyPluginOptions = {},
): FastifyPluginAsyncTypebox {
  return async (api) => {
    if (!api.hasDecorator('authenticate')) {
      throw new Error('protectedRoutes: the server was built without `auth` options, so it cannot verify tokens')
    }
    api.addHook('onRequest', api.authenticate)
    api.addHook('onRoute', (route: RouteOptions) => {
      if (route.schema?.hide) return
      const roles = [...rolesOf(route.onRequest), ...rolesOf(route.preHandler)]
      route.schema = {
        ...route.schema,
        security: [{ [BEARER_SCHEME]: roles }],
        response: {
          401: problemResponse('Missing, expired or invalid bearer token'),
          ...(roles.length > 0 ? { 403: problemResponse(`The token lacks a required role (${roles.join(', ')})`) } : {}),
          ...(isRecord(route.schema?.response) ? route.schema.response : {}),
        },
      }
    })
    await api.register(routes, options)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
