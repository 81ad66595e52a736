import type { FastifyPluginOptions, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HttpErrors } from './errors.js'
import { problemResponse } from './problem.js'
import { BEARER_SCHEME } from './openapi.plugin.js'
import type { AuthUser } from './auth.plugin.js'

const kRoles = Symbol('orderflow.requiredRoles')
const kAnyOf = Symbol('orderflow.anyOfRoles')

/** A route hook made by {@link requireRoles}; it remembers its roles for the OpenAPI document. */
export interface RoleCheck {
  (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  readonly [kRoles]: readonly string[]
  /** True when one of the roles is enough. */
  readonly [kAnyOf]: boolean
}

/** The role of a customer's token: its `sub` is the customer id, and it reaches only its own rows. */
export const CUSTOMER_ROLE = 'customer'

function roleCheck(roles: readonly string[], mode: 'all' | 'any'): RoleCheck {
  if (roles.length === 0) throw new TypeError('a role check needs at least one role')
  const check = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    // `user` is declared non-null for handlers, but it is null until a token has been verified.
    const user: FastifyRequest['user'] | null = request.user
    if (!user) {
      return done(HttpErrors.UNAUTHORIZED({ detail: 'This route needs a bearer token.', headers: { 'www-authenticate': 'Bearer' } }))
    }
    const missing = roles.filter((role) => !user.roles.includes(role))
    const refused = mode === 'all' ? missing.length > 0 : missing.length === roles.length
    if (refused) {
      const detail =
        mode === 'any' && roles.length > 1
          ? `The token needs one of the roles ${roles.join(', ')}.`
          : `The token lacks the role${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`
      return done(
        HttpErrors.FORBIDDEN({
          detail,
          extra: { missingRoles: missing },
          headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
        }),
      )
    }
    done()
  }
  return Object.assign(check, { [kRoles]: roles, [kAnyOf]: mode === 'any' })
}

/**
 * A route hook that lets the request through only when the token's `roles` claim holds every one
 * of `roles`; otherwise a 403 `FORBIDDEN` problem naming the missing ones. Use it on routes
 * inside {@link protectedRoutes}: `{ onRequest: requireRoles('orders:write') }`. Outside them
 * there is no user and the request gets 401, so a misplaced route fails closed.
 */
export function requireRoles(...roles: readonly string[]): RoleCheck {
  return roleCheck(roles, 'all')
}

/**
 * Like {@link requireRoles}, but one of `roles` is enough: `requireAnyRole('orders:read', CUSTOMER_ROLE)`
 * admits staff and customers alike, and the handler narrows a customer with {@link customerScope}.
 */
export function requireAnyRole(...roles: readonly string[]): RoleCheck {
  return roleCheck(roles, 'any')
}

/**
 * The customer whose rows alone the caller may reach, or undefined when it reaches every row:
 * a token holding `staffRole` keeps staff reach even if it is also a customer's.
 */
export function customerScope(user: AuthUser, staffRole: string): string | undefined {
  if (user.roles.includes(staffRole)) return undefined
  return user.roles.includes(CUSTOMER_ROLE) ? user.sub : undefined
}

function anyOf(route: Pick<RouteOptions, 'onRequest' | 'preHandler'>): boolean {
  const hooks: unknown[] = [route.onRequest, route.preHandler].flat()
  const checks = hooks.filter(isRoleCheck)
  return checks.length === 1 && checks[0]?.[kAnyOf] === true
}

/** The roles a route's role checks name (what a token needs, all or one of them). */
export function routeRoles(route: Pick<RouteOptions, 'onRequest' | 'preHandler'>): string[] {
  return [...rolesOf(route.onRequest), ...rolesOf(route.preHandler)]
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
      const roles = routeRoles(route)
      route.schema = {
        ...route.schema,
        // OpenAPI: the scopes of one requirement are all needed; alternatives are requirements of their own.
        security: anyOf(route) ? roles.map((role) => ({ [BEARER_SCHEME]: [role] })) : [{ [BEARER_SCHEME]: roles }],
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
