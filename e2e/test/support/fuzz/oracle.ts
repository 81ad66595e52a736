import { HttpErrors, problemType } from '@orderflow/http'
import { DeadLetterErrors, type ServiceConfig } from '@orderflow/runtime'
import type { ServiceTestbed } from '@orderflow/testing/service'
import type { ServiceName } from '../platform.js'

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

/** One generated request, as a client could send it. */
export interface FuzzRequest {
  readonly service: ServiceName
  readonly method: Method
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** The raw body; none when undefined. */
  readonly payload?: string | undefined
}

/**
 * The codes a client may see from each service: the server's own (a 4xx of Fastify or a plugin
 * without a code of ours falls back on one named per status) and the service's catalogue, as
 * its README lists them. A code outside these is not a stable one.
 */
const SERVER_CODES = [...Object.values(HttpErrors).filter((e) => e.status < 500).map((e) => e.code), 'METHOD_NOT_ALLOWED', 'CONFLICT']
const SERVICE_CODES: Record<ServiceName, readonly string[]> = {
  order: [
    'ORDER_NOT_FOUND', 'CUSTOMER_MISMATCH', 'ORDER_NOT_CANCELLABLE', 'ORDER_TOTAL_TOO_LARGE', 'INVALID_CURSOR', 'INVALID_DATE_RANGE', 'IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED',
    'SKU_NOT_PRICED', 'CURRENCY_NOT_SOLD', 'PRICE_MISMATCH',
    ...Object.values(DeadLetterErrors).map((e) => e.code),
  ],
  inventory: ['SKU_NOT_FOUND', 'RESERVATION_NOT_FOUND', 'STOCK_BELOW_RESERVED', 'STOCK_ABOVE_LIMIT', 'INVALID_CURSOR', 'DUPLICATE_CURRENCY', 'PRICE_LIST_NOT_FOUND'],
  payment: ['PAYMENT_NOT_FOUND'],
  fulfillment: ['SHIPMENT_NOT_FOUND'],
  notification: [],
}

/** What the oracle needs of a service: its API and its database. */
export type Target = Pick<ServiceTestbed<ServiceConfig>, 'app' | 'orm'>

/** Where a failed request's server-side error can be looked up by its request id. */
export interface Causes {
  causeOf(requestId: string | undefined): string | undefined
}

const WRITES: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const shorten = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} characters)` : s)

/** What the rows of a service's database add up to: every table's count, and the stock table's content. */
async function fingerprintQuery(orm: Target['orm']): Promise<string> {
  const tables = await orm.em
    .fork()
    .execute<{ name: string }[]>(
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'mikro_orm%' order by 1`,
    )
  // Counts catch a stored row; a rejected stock change could also alter a row in place. (The
  // outbox's rows change after a commit, when the publisher marks them sent: counted only.)
  const columns = tables.map(({ name }) =>
    name === 'stock' ? `(select count(*) || ':' || coalesce(sum(hashtext(s::text)), 0) from stock s) as "stock"` : `(select count(*) from "${name}") as "${name}"`,
  )
  return `select ${columns.join(', ')}`
}

/**
 * Sends generated requests to the services and holds each answer to the rules: never a 5xx;
 * every 4xx an `application/problem+json` whose `code` is a stable one of that service, whose
 * `status` is the response's and whose `type` and `title` are the same every time; and a
 * rejected write leaves the service's database as it was.
 */
export class Oracle {
  /** Requests sent so far. */
  sent = 0
  readonly statuses = new Map<number, number>()
  private readonly queries = new Map<ServiceName, string>()
  /** The database as the last write left it; stale after an accepted one. */
  private readonly known = new Map<ServiceName, string>()
  private readonly titles = new Map<string, string>()

  constructor(
    private readonly targets: Readonly<Record<ServiceName, Target>>,
    private readonly causes?: Causes,
  ) {}

  private async fingerprint(service: ServiceName): Promise<string> {
    const { orm } = this.targets[service]
    let query = this.queries.get(service)
    if (!query) this.queries.set(service, (query = await fingerprintQuery(orm)))
    const [row] = await orm.em.fork().execute<Record<string, unknown>[]>(query)
    return JSON.stringify(row)
  }

  /** Sends `req`; throws, describing the request and the answer, if a rule is broken. */
  async check(req: FuzzRequest): Promise<void> {
    const write = WRITES.has(req.method)
    const before = write ? (this.known.get(req.service) ?? (await this.fingerprint(req.service))) : undefined
    const res = await this.targets[req.service].app.inject({ method: req.method, url: req.url, headers: { ...req.headers }, ...(req.payload === undefined ? {} : { payload: req.payload }) })
    this.sent += 1
    this.statuses.set(res.statusCode, (this.statuses.get(res.statusCode) ?? 0) + 1)
    const fail = (why: string): never => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, shorten(v, 80)]))
      throw new Error(
        `${why}\n  request: ${req.service} ${req.method} ${shorten(req.url)} ${JSON.stringify(headers)}` +
          `${req.payload === undefined ? '' : `\n  body: ${shorten(JSON.stringify(req.payload))}`}` +
          `\n  answer: ${res.statusCode} ${String(res.headers['content-type'])} ${shorten(res.body)}` +
          `${res.statusCode >= 500 ? `\n  cause: ${this.causes?.causeOf(String(res.headers['x-request-id'])) ?? 'not logged'}` : ''}`,
      )
    }
    const status = res.statusCode
    // /docs redirects to its static page; nothing else answers 3xx.
    const redirect = status >= 300 && status < 400 && /^\/docs(\/|$|\?)/.test(req.url)
    if (!(status >= 200 && status < 300) && !(status >= 400 && status < 500) && !redirect) fail(`status ${status}: only 2xx and 4xx are allowed`)
    if (status < 400) {
      if (write) this.known.delete(req.service)
      return
    }

    if (!String(res.headers['content-type']).startsWith('application/problem+json')) fail('a 4xx must be application/problem+json')
    if (req.method !== 'HEAD') {
      let problem: { code?: unknown; status?: unknown; type?: unknown; title?: unknown }
      try {
        problem = JSON.parse(res.body) as typeof problem
      } catch {
        return fail('the problem body is not JSON')
      }
      const code = typeof problem.code === 'string' ? problem.code : ''
      if (!SERVER_CODES.includes(code) && !SERVICE_CODES[req.service].includes(code)) fail(`code ${JSON.stringify(problem.code)} is not a stable code of ${req.service}`)
      if (problem.status !== status) fail(`the problem's status ${String(problem.status)} is not the response's`)
      if (problem.type !== problemType(code)) fail(`type ${String(problem.type)} does not follow the code`)
      const title = `${status} ${String(problem.title)}`
      const seen = this.titles.get(code)
      if (seen !== undefined && seen !== title) fail(`${code} came as "${title}" and as "${seen}"`)
      this.titles.set(code, title)
    }
    if (before !== undefined) {
      const after = await this.fingerprint(req.service)
      if (after !== before) fail(`a rejected write changed the database:\n  before ${before}\n  after  ${after}`)
      this.known.set(req.service, after)
    }
  }
}
