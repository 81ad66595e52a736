import type { BooksReport } from '@orderflow/cli'
import type { SentOrder } from './load-driver.js'
import { ENDED, type MailAudit } from './mail-check.js'
import type { UnexpectedExit } from './managed-process.js'
import { allowedOutcome, kindOf, orderNumberOf, type OrderKind } from './order-mix.js'
import type { DeadLetterSummary } from './platform-api.js'
import type { OrderRow } from './platform-db.js'
import type { InjectedPoison } from './poison.js'
import type { Settled } from './settle.js'

/** One promise the platform makes, and whether the run saw it kept. */
export interface Check {
  name: string
  passed: boolean
  /** One line: what was counted. */
  summary: string
  /** The first breaches, one sentence each; `breachCount` says how many there were in all. */
  breaches: string[]
  breachCount: number
}

/** What the checks judge, all read after the platform settled (or the deadline came). */
export interface CheckInputs {
  sent: readonly SentOrder[]
  /** Every order of the run in the order service's database. */
  orders: readonly OrderRow[]
  settled: Settled
  /** Epoch ms when the last fault was repaired. */
  lastFaultEnd: number
  /** How long after the last fault every order must have ended. */
  endWithinMs: number
  books: BooksReport
  mails: MailAudit
  deadLetters: readonly DeadLetterSummary[]
  injected: readonly InjectedPoison[]
  unexpectedExits: readonly UnexpectedExit[]
}

const KEPT = 20

function check(name: string, summary: string, breaches: readonly string[]): Check {
  return { name, passed: breaches.length === 0, summary, breaches: breaches.slice(0, KEPT), breachCount: breaches.length }
}

export function runChecks(i: CheckInputs): Check[] {
  return [ended(i), settled(i), books(i), mails(i), deadLetters(i), outcomes(i), processes(i)]
}

function ended(i: CheckInputs): Check {
  const byId = new Map(i.orders.map((o) => [o.id, o]))
  const accepted = i.sent.flatMap((s) => (s.result?.kind === 'accepted' ? [s.result.orderId] : []))
  const deadline = i.lastFaultEnd + i.endWithinMs
  const after = (o: OrderRow) => `${(((o.endedAt?.getTime() ?? 0) - i.lastFaultEnd) / 1000).toFixed(1)} s`
  const breaches = [
    ...accepted.filter((id) => !byId.has(id)).map((id) => `order ${id} was accepted (202) but is not in the order database`),
    ...i.orders.filter((o) => !o.endedAt).map((o) => `order ${o.id} (${kindOfRow(o)}) is still ${o.status}`),
    ...i.orders.filter((o) => o.endedAt && o.endedAt.getTime() > deadline).map((o) => `order ${o.id} (${kindOfRow(o)}) ended ${o.status} only ${after(o)} after the last fault`),
  ]
  const lastEnd = Math.max(i.lastFaultEnd, ...i.orders.map((o) => o.endedAt?.getTime() ?? 0))
  return check(
    `every accepted order ended within ${i.endWithinMs / 1000} s of the last fault`,
    `${i.orders.filter((o) => o.endedAt).length} of ${i.orders.length} orders ended (${accepted.length} answered 202), the last ${((lastEnd - i.lastFaultEnd) / 1000).toFixed(1)} s after the last fault`,
    breaches,
  )
}

function settled(i: CheckInputs): Check {
  const summary =
    i.settled.settledAt === null
      ? `still busy ${i.endWithinMs / 1000} s after the last fault`
      : `quiet ${((i.settled.settledAt - i.lastFaultEnd) / 1000).toFixed(1)} s after the last fault`
  return check('nothing was left in flight (outboxes published, consumers settled, mails sent)', summary, i.settled.settledAt === null ? i.settled.busy.split('; ') : [])
}

function books(i: CheckInputs): Check {
  return check('the books are clean (orderflow books: no double capture, no lost or leaked stock, no oversell)', `${i.books.violations.length} broken rules`, i.books.violations)
}

function mails(i: CheckInputs): Check {
  return check('each order got each mail exactly once', `${i.mails.received} mails received`, i.mails.breaches)
}

function deadLetters(i: CheckInputs): Check {
  const key = (stream: string, seq: number) => `${stream}/${seq}`
  const injected = new Set(i.injected.map((p) => key(p.stream, p.seq)))
  const seen = new Map<string, number>()
  for (const d of i.deadLetters) seen.set(key(d.origin.stream, d.origin.seq), (seen.get(key(d.origin.stream, d.origin.seq)) ?? 0) + 1)
  const breaches = [
    ...i.injected.filter((p) => !seen.has(key(p.stream, p.seq))).map((p) => `the poison message ${key(p.stream, p.seq)} (${p.what}) is not in the dead letters`),
    ...[...seen].filter(([k, n]) => injected.has(k) && n > 1).map(([k, n]) => `the poison message ${k} was dead-lettered ${n} times`),
    ...i.deadLetters
      .filter((d) => !injected.has(key(d.origin.stream, d.origin.seq)))
      .map((d) => `dead letter ${d.seq} was not injected: ${d.reason} from ${d.origin.consumer} (${d.origin.subject} #${d.origin.seq}, ${d.origin.deliveries} deliveries): ${d.error.slice(0, 200)}`),
  ]
  return check('the dead letters hold exactly the injected poison messages', `${i.deadLetters.length} dead letters, ${i.injected.length} injected`, breaches)
}

function outcomes(i: CheckInputs): Check {
  const timeouts = i.orders.filter((o) => o.status === 'FAILED' && o.failureReason === 'TIMEOUT').length
  const breaches = i.orders
    .filter((o) => {
      const kind = kindOfRow(o)
      return ENDED.has(o.status) && (kind === 'unknown' || !allowedOutcome(kind, o.status, o.failureReason))
    })
    .map((o) => `order ${o.id} (${kindOfRow(o)}) ended ${o.status}${o.failureReason ? ` ${o.failureReason}` : ''}`)
  return check('no order failed for an outage (TIMEOUT) or for any reason its kind does not call for', `${timeouts} failed with TIMEOUT`, breaches)
}

function processes(i: CheckInputs): Check {
  const breaches = i.unexpectedExits.map((e) => `${e.name} exited by itself at ${e.at.toISOString()} (code ${e.code}, signal ${e.signal})${e.wasReady ? '' : ' while starting'}`)
  return check('no process died by itself (each survives its database and broker going away)', `${i.unexpectedExits.length} unexpected exits`, breaches)
}

function kindOfRow(o: OrderRow): OrderKind | 'unknown' {
  const n = orderNumberOf(o.customerId)
  return n === undefined ? 'unknown' : kindOf(n)
}
