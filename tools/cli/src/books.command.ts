import { parseArgs } from 'node:util'
import { auditBooks, type BooksReport } from './books.js'
import { readBooks, type BooksDatabases } from './books-reader.js'

const usage = `usage: orderflow books [--since 24h|ISO-TIME] [--customer-prefix P] [--json]
Checks that the order, inventory and payment databases agree on every order created since then:
succeeded orders have their stock committed and their payment captured once for their total,
failed and cancelled ones hold and were charged nothing, and each SKU's reserved count is what
its reserved lines hold. Orders still in flight are counted, not judged.
Databases: ORDER_DATABASE_URL, INVENTORY_DATABASE_URL, PAYMENT_DATABASE_URL, or
PG_URL_BASE/orderflow_<service> (PG_URL_BASE defaults to postgres://postgres@127.0.0.1:5432, as make up).
Exit code: 0 consistent, 1 a rule is broken, 2 usage.`

/** How many broken rules and unfinished orders the text output lists before it only counts. */
const LISTED = 20
const DURATION = /^(\d+)(s|m|h|d)$/
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

type Out = (s: string) => void

/** `orderflow books …`: returns the exit code. */
export async function booksCommand(argv: string[], env: NodeJS.ProcessEnv, out: Out, now = new Date()): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { since: { type: 'string', default: '24h' }, 'customer-prefix': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  })
  if (values.help) {
    out(usage)
    return 0
  }
  const since = parseSince(values.since, now)
  if (!since) {
    out(`orderflow books: --since takes a duration such as 90s, 30m, 24h or 7d, or an ISO time; got ${values.since}`)
    return 2
  }
  const books = await readBooks(booksDatabases(env), { since, ...(values['customer-prefix'] ? { customerPrefix: values['customer-prefix'] } : {}) })
  const report = auditBooks(books)
  out(values.json ? JSON.stringify({ since: since.toISOString(), ...report }, null, 2) : describeReport(report, since))
  return report.violations.length === 0 ? 0 : 1
}

/** The three databases, from their own variables or from `PG_URL_BASE` as `make up` names them. */
export function booksDatabases(env: NodeJS.ProcessEnv): BooksDatabases {
  const base = env.PG_URL_BASE ?? 'postgres://postgres@127.0.0.1:5432'
  return {
    order: env.ORDER_DATABASE_URL ?? `${base}/orderflow_order`,
    inventory: env.INVENTORY_DATABASE_URL ?? `${base}/orderflow_inventory`,
    payment: env.PAYMENT_DATABASE_URL ?? `${base}/orderflow_payment`,
  }
}

/** `30m` before `now`, or an ISO time; undefined when it is neither. */
export function parseSince(text: string, now: Date): Date | undefined {
  const duration = DURATION.exec(text)
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS])
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? new Date(text) : undefined
  return time && !Number.isNaN(time.getTime()) ? time : undefined
}

/** A few lines for a person: the verdict, the statuses, then the first broken rules and unfinished orders. */
export function describeReport(report: BooksReport, since: Date): string {
  const checked = Object.values(report.statuses).reduce((a, b) => a + b, 0)
  const statuses = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status} ${n}`)
    .join(', ')
  const lines = [
    `${checked} orders since ${since.toISOString()}${statuses ? ` (${statuses})` : ''}`,
    report.violations.length === 0 ? 'the books agree' : `${report.violations.length} broken rule${report.violations.length === 1 ? '' : 's'}:`,
    ...report.violations.slice(0, LISTED).map((v) => `  ${v}`),
  ]
  if (report.violations.length > LISTED) lines.push(`  … and ${report.violations.length - LISTED} more (--json lists all)`)
  if (report.unfinished.length > 0) lines.push(`${report.unfinished.length} orders still in flight, not judged`)
  return lines.join('\n')
}
