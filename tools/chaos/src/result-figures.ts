import type { ExecutedFault } from './fault-runner.js'
import type { SentOrder } from './load-driver.js'
import { kindOf, orderNumberOf } from './order-mix.js'
import type { ArrivedMail } from './mail-check.js'
import type { OrderRow, TimelineEntry } from './platform-db.js'
import type { FaultReport, OrderCounts, OrderTrace } from './results.js'

const seconds = (ms: number) => Math.round(ms / 100) / 10

export function toFaultReport(f: ExecutedFault, t0: number, caughtUpMs: number | null): FaultReport {
  return {
    atS: seconds(f.startedAt - t0),
    kind: f.kind,
    target: f.target ?? null,
    description: f.description,
    outageS: seconds(f.endedAt - f.startedAt),
    readyAfterS: f.readyAfterMs === null ? null : seconds(f.readyAfterMs),
    caughtUpAfterS: caughtUpMs === null ? null : seconds(caughtUpMs),
    error: f.error ?? null,
  }
}

const bump = (r: Record<string, number>, key: string) => void (r[key] = (r[key] ?? 0) + 1)

/** What the customers saw (answers) and what became of the orders (the database). */
export function summarizeOrders(sent: readonly SentOrder[], orders: readonly OrderRow[]): OrderCounts {
  const counts: OrderCounts = { sent: sent.length, accepted: 0, refused: {}, noAnswer: {}, stored: orders.length, byOutcome: {}, byKind: {}, cancels: {} }
  for (const s of sent) {
    const r = s.result
    if (r?.kind === 'accepted') counts.accepted++
    else if (r?.kind === 'http-error') bump(counts.refused, `${r.status} ${r.code}`)
    else bump(counts.noAnswer, r?.code ?? 'unanswered')
    if (s.cancel) bump(counts.cancels, String(s.cancel.outcome ?? 'unanswered'))
  }
  for (const o of orders) {
    const outcome = o.failureReason ? `${o.status} ${o.failureReason}` : o.status
    bump(counts.byOutcome, outcome)
    const n = orderNumberOf(o.customerId)
    bump((counts.byKind[n === undefined ? 'unknown' : kindOf(n)] ??= {}), outcome)
  }
  return counts
}

function answerOf(s: SentOrder): string {
  const r = s.result
  if (r?.kind === 'accepted') return '202'
  if (r?.kind === 'http-error') return `${r.status} ${r.code}`
  return r?.code ?? 'unanswered'
}

/** Each order from both ends: what the customer was answered, and what the database says became of it. */
export function traceOrders(
  sent: readonly SentOrder[],
  orders: readonly OrderRow[],
  timelines: ReadonlyMap<string, readonly TimelineEntry[]>,
  mails: ReadonlyMap<string, readonly ArrivedMail[]>,
): OrderTrace[] {
  const byN = new Map(orders.map((o) => [orderNumberOf(o.customerId), o]))
  const sentNs = new Set(sent.map((s) => s.n))
  const trace = (n: number, answer: string, sentAt: string, o: OrderRow | undefined, cancel: string | null): OrderTrace => ({
    n,
    kind: kindOf(n),
    answer,
    id: o?.id ?? null,
    status: o?.status ?? null,
    failureReason: o?.failureReason ?? null,
    sentAt,
    createdAt: o?.createdAt.toISOString() ?? null,
    endedAt: o?.endedAt?.toISOString() ?? null,
    cancel,
    ...(o && timelines.has(o.id)
      ? {
          timeline: [
            ...(timelines.get(o.id) ?? []).map((e) => ({ at: e.at.getTime(), what: `${e.type}${e.detail ? ` (${e.detail})` : ''}` })),
            ...(mails.get(o.id) ?? []).map((m) => ({ at: m.at, what: `mail ${m.kind}` })),
          ]
            .sort((a, b) => a.at - b.at)
            .map((e) => `${((e.at - o.createdAt.getTime()) / 1000).toFixed(1)} ${e.what}`),
        }
      : {}),
  })
  return [
    ...sent.map((s) => trace(s.n, answerOf(s), new Date(s.sentAt).toISOString(), byN.get(s.n), s.cancel ? String(s.cancel.outcome ?? 'unanswered') : null)),
    ...orders.flatMap((o) => {
      const n = orderNumberOf(o.customerId)
      return n === undefined || sentNs.has(n) ? [] : [trace(n, 'not sent by this run', '', o, null)]
    }),
  ]
}

/** Orders worth a timeline in the result: those that took longer than this to end and have their mails, or never ended. */
const SLOW_MS = 10_000

export function slowOrders(orders: readonly OrderRow[], mails: ReadonlyMap<string, readonly ArrivedMail[]>): string[] {
  const done = (o: OrderRow) => Math.max(o.endedAt?.getTime() ?? Infinity, ...(mails.get(o.id) ?? []).map((m) => m.at))
  return orders.filter((o) => done(o) - o.createdAt.getTime() > SLOW_MS).map((o) => o.id)
}
