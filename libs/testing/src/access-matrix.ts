import type { Test } from 'tap'
import type { App } from '@orderflow/http'
import { mintToken, TEST_JWT_SECRETS } from './tokens.js'

/** Who calls, in every cell of the matrix: four bad tokens, then the callers that get through. */
export const CALLERS = ['no token', 'expired', 'wrong signature', 'alg none', 'wrong role', 'customer own', 'customer other', 'staff'] as const
export type Caller = (typeof CALLERS)[number]

/** The callers whose token is valid; the other four are 401 on every protected route. */
export type AuthenticatedCaller = Extract<Caller, 'wrong role' | 'customer own' | 'customer other' | 'staff'>

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'

/** What a row sends for one caller; the method is the route's, the token the caller's. */
export interface AccessRequest {
  /** The route's path with its parameters filled in, and a query string if it needs one. */
  url: string
  payload?: Record<string, unknown>
  headers?: Record<string, string>
}

/** What a cell's request answered. */
export interface AccessResponse {
  statusCode: number
  body: string
}

/** One route's expectations, keyed `METHOD /path` as registered (`GET /v1/orders/:id`). */
export interface AccessRow {
  /** The roles the route's role check names, exactly; the matrix fails when the route's differ. */
  roles: readonly string[]
  /** The roles of the `staff` caller's token. @default roles without `customer` */
  staffRoles?: readonly string[]
  /**
   * The request for one caller, made anew for each (a row may create what the caller acts on:
   * an order to cancel). Customers act on the `own` customer's rows: for `customer other` that
   * is someone else's.
   */
  request(caller: Caller): AccessRequest | Promise<AccessRequest>
  /** The status each caller with a valid token gets. */
  expect: Record<AuthenticatedCaller, number>
}

export type AccessTable = Record<string, AccessRow>

export interface AccessMatrixOptions {
  /** The customer whose rows the requests name: `customer own`'s subject. */
  own: string
  /** `customer other`'s subject. */
  other: string
  /** Routes that need no token. @default the probes, `/metrics` and `/docs…` */
  isPublic?: (route: { method: string; url: string }) => boolean
}

export interface AccessCell {
  route: string
  caller: Caller
  expected: number
  send(): Promise<AccessResponse>
}

export interface AccessMatrix {
  /** Registered routes that need a token and have no row: each one fails the test. */
  missing: string[]
  /** Rows naming no registered route. */
  stale: string[]
  /** Rows whose `roles` are not the ones the route's role check names. */
  wrongRoles: { route: string; registered: readonly string[]; row: readonly string[] }[]
  cells: AccessCell[]
}

const PROBES = new Set(['/livez', '/readyz', '/metrics'])
const defaultPublic = (route: { url: string }): boolean => PROBES.has(route.url) || route.url === '/docs' || route.url.startsWith('/docs/')

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A token per caller; `roles` are the staff roles of the row. */
function tokenFor(caller: Caller, roles: readonly string[], opts: AccessMatrixOptions): string | undefined {
  switch (caller) {
    case 'no token':
      return undefined
    case 'expired':
      return mintToken({ sub: 'staff-member', roles, expiresIn: -60 })
    case 'wrong signature':
      return mintToken({ sub: 'staff-member', roles, secret: `not-${TEST_JWT_SECRETS[0]}` })
    case 'alg none': {
      const now = Math.floor(Date.now() / 1000)
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'staff-member', roles, iat: now, exp: now + 300 })}.`
    }
    case 'wrong role':
      // A staff token, but with a role no route asks for.
      return mintToken({ sub: 'staff-member', roles: ['reports:read'] })
    case 'customer own':
      return mintToken({ sub: opts.own, roles: ['customer'] })
    case 'customer other':
      return mintToken({ sub: opts.other, roles: ['customer'] })
    case 'staff':
      return mintToken({ sub: 'staff-member', roles })
  }
}

const UNAUTHENTICATED = new Set<Caller>(['no token', 'expired', 'wrong signature', 'alg none'])

/**
 * The access matrix of a ready app: every route it registered × every {@link Caller}, with the
 * status the table expects. Built from the app's own route table, so a route added without a
 * row shows up in `missing`, and a test that asserts `missing` is empty fails.
 */
export function accessMatrix(app: App, table: AccessTable, opts: AccessMatrixOptions): AccessMatrix {
  const isPublic = opts.isPublic ?? defaultPublic
  const registered = new Map(app.registeredRoutes.filter((r) => !isPublic(r)).map((r) => [`${r.method} ${r.url}`, r]))
  const missing = [...registered.keys()].filter((key) => !(key in table))
  const stale = Object.keys(table).filter((key) => !registered.has(key))
  const wrongRoles: AccessMatrix['wrongRoles'] = []
  const cells: AccessCell[] = []
  for (const [route, row] of Object.entries(table)) {
    const found = registered.get(route)
    if (!found) continue
    if ([...found.roles].sort().join() !== [...row.roles].sort().join()) wrongRoles.push({ route, registered: found.roles, row: row.roles })
    const method = found.method as Method
    const staffRoles = row.staffRoles ?? row.roles.filter((r) => r !== 'customer')
    for (const caller of CALLERS) {
      const expected = UNAUTHENTICATED.has(caller) ? 401 : row.expect[caller as AuthenticatedCaller]
      cells.push({
        route,
        caller,
        expected,
        async send() {
          const { url, payload, headers = {} } = await row.request(caller)
          const token = tokenFor(caller, staffRoles, opts)
          const res = await app.inject({
            method,
            url,
            ...(payload === undefined ? {} : { payload }),
            headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
          })
          return { statusCode: res.statusCode, body: res.body }
        },
      })
    }
  }
  return { missing, stale, wrongRoles, cells }
}

/**
 * The two tests every service's access matrix makes: the table covers exactly the registered
 * routes with the roles their checks name, and every route answers every caller as its row says.
 */
export function testAccess(t: Test, matrix: AccessMatrix): void {
  t.test('every route has a row, with the roles its check names', async (t) => {
    t.same(matrix.missing, [], 'routes without a row')
    t.same(matrix.stale, [], 'rows without a route')
    t.same(matrix.wrongRoles, [], 'rows whose roles are not the route’s')
  })
  t.test('route × caller', async (t) => {
    for (const cell of matrix.cells) {
      const res = await cell.send()
      t.equal(res.statusCode, cell.expected, `${cell.route} as ${cell.caller}`, { body: res.body })
    }
  })
}
