import { parseArgs } from 'node:util'
import { createSigner } from 'fast-jwt'
import { splitList } from '@orderflow/config'

/** Every staff role the platform checks; a development token carries all of them unless narrowed. */
export const ALL_ROLES = [
  'orders:read',
  'orders:write',
  'inventory:read',
  'inventory:write',
  'payments:read',
  'reports:read',
  'reports:export',
  'ops:dlq',
] as const

export interface TokenRequest {
  secret: string
  roles: readonly string[]
  subject: string
  ttlSeconds: number
}

/** Signs an HS256 development token with the given secret (the first of JWT_SECRETS). */
export function signDevToken(req: TokenRequest, now = Date.now()): string {
  const sign = createSigner({ key: req.secret, algorithm: 'HS256' })
  const iat = Math.floor(now / 1000)
  return sign({ sub: req.subject, roles: [...req.roles], iat, exp: iat + req.ttlSeconds })
}

/** The role of a customer's token (its sub is the customer id); as @orderflow/http's CUSTOMER_ROLE. */
export const CUSTOMER_ROLE = 'customer'

const usage = `usage: orderflow token [--customer ID | --roles a,b [--sub SUBJECT]] [--ttl SECONDS]
Prints a development JWT signed with the first secret of JWT_SECRETS: a staff token by default.
  --customer  a customer's token instead: sub ID, role customer (env CUSTOMER works too)
  --roles     comma-separated roles (default: every staff role; env ROLES works too)
  --sub       subject claim (default: dev-user)
  --ttl       lifetime in seconds (default: 86400)`

/** `orderflow token`: returns the exit code. */
export function tokenCommand(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void): number {
  const { values } = parseArgs({
    args: argv,
    options: { customer: { type: 'string' }, roles: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  })
  if (values.help) {
    out(usage)
    return 0
  }
  const secret = splitList(env.JWT_SECRETS)[0]
  if (!secret) {
    out('orderflow token: JWT_SECRETS is not set (make token reads it from .run/dev.env, written by make up)')
    return 2
  }
  const ttlSeconds = Number(values.ttl ?? 86_400)
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    out(`orderflow token: --ttl must be a positive whole number of seconds, got ${values.ttl}`)
    return 2
  }
  const customer = values.customer ?? (env.CUSTOMER === '' ? undefined : env.CUSTOMER)
  if (customer !== undefined) {
    if (values.roles !== undefined || values.sub !== undefined || customer === '') {
      out('orderflow token: --customer takes a non-empty id and goes without --roles and --sub (the token is that customer\'s)')
      return 2
    }
    out(signDevToken({ secret, roles: [CUSTOMER_ROLE], subject: customer, ttlSeconds }))
    return 0
  }
  const roles = splitList(values.roles ?? env.ROLES)
  out(signDevToken({ secret, roles: roles.length > 0 ? roles : ALL_ROLES, subject: values.sub ?? 'dev-user', ttlSeconds }))
  return 0
}
