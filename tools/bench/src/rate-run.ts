import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BusSnapshot, DeliveryCounters } from './bus-stats.js'
import { perOrder, type DatabaseSnapshot } from './db-stats.js'
import { runOpenSchedule } from './open-schedule.js'
import type { OrderApi, PlaceOrderResult } from './order-api.js'
import type { Outcome, OutcomeListener } from './outcome-listener.js'
import { summarize } from './percentiles.js'
import type { Classifier } from './process-groups.js'
import { startProcessMonitor, type ProcessMonitor, type ProcessUsageReport } from './process-monitor.js'
import type { Counts, Failures, RateRun } from './results.js'
import { statementsPerOrder, type StatementCounter, type StatementSnapshot, type StatementsFigure } from './statement-stats.js'
import { busPerOrder, cpuPerOrder, type WindowCosts } from './window-costs.js'

/** What a run needs from the benchmark around it. */
export interface RateRunContext {
  api: OrderApi
  outcomes: OutcomeListener
  /** The outcome kinds that mean success (`confirmed`, or `created` in intake mode). */
  successKinds: readonly string[]
  busSnapshot: () => Promise<BusSnapshot>
  /** PostgreSQL's counters of the platform databases; absent when they cannot be read. */
  databaseSnapshot?: () => Promise<DatabaseSnapshot>
  /** Deliveries of the namespace's durable consumers and the domain streams' sequences; absent: not reported. */
  deliveryCounters?: () => Promise<DeliveryCounters>
  /** Counts the platform databases' SQL statements, or says why it cannot (`not measured (…)`). @default not measured */
  statements?: Pick<StatementCounter, 'snapshot' | 'queryTexts'> | string
  classify: Classifier
  /** The body of the n-th order. */
  orderBody: (n: number) => unknown
  /** Unique per benchmark, so idempotency keys never collide with an earlier run's. */
  keyPrefix: string
  log: (line: string) => void
}

export interface RateRunSettings {
  /** Tells this run's idempotency keys from every other run's of the benchmark, e.g. `3`. */
  runLabel: string
  rate: number
  warmupSeconds: number
  durationSeconds: number
  drainTimeoutSeconds: number
  /** Wait for the consumers' backlog too when draining (not in intake mode: the saga may be down). */
  drainConsumers: boolean
  /** Stops sending and draining early (Ctrl-C). @default never */
  signal?: AbortSignal
}

/** One order as the client saw it. */
interface OrderRecord {
  warmup: boolean
  sentAt: number
  answeredAt?: number
  result?: PlaceOrderResult
}

const DRAIN_POLL_MS = 250
/** Backends publish their statistics at most once a second: wait that long before the last reading. */
const STATS_FLUSH_MS = 1_500

/**
 * Drives one rate: warm-up then the measured window on one open schedule, then waits for the
 * backlog to drain, and computes the run's figures. CPU and memory are sampled over the
 * measured window only.
 */
export async function runRate(ctx: RateRunContext, s: RateRunSettings): Promise<RateRun> {
  const before = await ctx.busSnapshot()
  const dbBefore = await readDatabase(ctx)
  const startedAt = new Date().toISOString()
  const warmupCount = Math.floor(s.warmupSeconds * s.rate)
  const records: OrderRecord[] = []
  let monitor: ProcessMonitor | undefined
  let windowOpened: Promise<WindowReadings> | undefined
  let monitorStartedAt = 0

  const schedule = await runOpenSchedule({
    ratePerSecond: s.rate,
    durationMs: (s.warmupSeconds + s.durationSeconds) * 1000,
    ...(s.signal ? { signal: s.signal } : {}),
    send: ({ index, sentAt }) => {
      if (index === warmupCount) {
        monitor = startProcessMonitor(ctx.classify)
        monitorStartedAt = performance.now()
        windowOpened = readWindowCounters(ctx)
      }
      const record: OrderRecord = { warmup: index < warmupCount, sentAt }
      records.push(record)
      void ctx.api.placeOrder(ctx.orderBody(index), `${ctx.keyPrefix}-${s.runLabel}-${index}`).then((result) => {
        record.answeredAt = performance.now()
        record.result = result
      })
    },
  })
  // The window ends when the next arrival would have been due.
  const windowStart = schedule.startedAt + s.warmupSeconds * 1000
  const windowEnd = schedule.startedAt + (s.warmupSeconds + s.durationSeconds) * 1000
  const usage = (monitor ?? startProcessMonitor(ctx.classify)).stop()
  const stoppedAt = performance.now()
  const windowClosed = windowOpened ? await readWindowCounters(ctx) : undefined

  // An outcome older than the request belongs to an earlier order with the same id (a replayed
  // idempotency key): it says nothing about this one.
  const outcomeOf = (r: OrderRecord): Outcome | undefined => {
    const outcome = r.result?.kind === 'accepted' ? ctx.outcomes.get(r.result.orderId) : undefined
    return outcome && outcome.at >= r.sentAt ? outcome : undefined
  }
  const unfinished = () => records.filter((r) => r.result === undefined || (r.result.kind === 'accepted' && outcomeOf(r) === undefined)).length
  const atStop = await ctx.busSnapshot()
  const ordersInFlight = unfinished()

  let after = atStop
  let drained = false
  while (performance.now() - stoppedAt < s.drainTimeoutSeconds * 1000 && !s.signal?.aborted) {
    const consumersDone = !s.drainConsumers || after.consumerBacklog <= before.consumerBacklog
    if (unfinished() === 0 && consumersDone) {
      drained = true
      break
    }
    await sleep(DRAIN_POLL_MS)
    after = await ctx.busSnapshot()
  }
  const drainSeconds = (performance.now() - stoppedAt) / 1000
  if (!drained) ctx.log(`  not drained after ${s.drainTimeoutSeconds} s: ${unfinished()} orders unfinished, consumer backlog ${after.consumerBacklog}`)

  let dbAfter: DatabaseSnapshot | undefined
  if (dbBefore) {
    await sleep(STATS_FLUSH_MS)
    dbAfter = await readDatabase(ctx)
  }
  const acceptedAll = records.filter((r) => r.result?.kind === 'accepted').length
  const measured = records.filter((r) => !r.warmup)
  const accepted = measured.filter((r) => r.result?.kind === 'accepted')
  const completedInWindow = records.filter((r) => {
    const at = outcomeOf(r)?.at
    return at !== undefined && at >= windowStart && at < windowEnd
  }).length
  // The costs divide what the monitor and the counters saw by the orders completed while they
  // looked: from the first measured send to the last one's return, a little short of the window.
  const completedWhileMeasured = windowOpened
    ? records.filter((r) => {
        const at = outcomeOf(r)?.at
        return at !== undefined && at >= monitorStartedAt && at < stoppedAt
      }).length
    : 0
  const perCompletedOrder = await windowCosts(ctx, completedWhileMeasured, usage, windowOpened ? await windowOpened : undefined, windowClosed)

  return {
    rate: s.rate,
    startedAt,
    sent: measured.length,
    accepted: accepted.length,
    acceptedPerSecond: accepted.length / s.durationSeconds,
    completedPerSecond: completedInWindow / s.durationSeconds,
    http: summarize(measured.flatMap((r) => (r.answeredAt !== undefined && r.result?.kind !== 'network-error' ? [r.answeredAt - r.sentAt] : []))),
    endToEnd: summarize(accepted.flatMap((r) => {
      const at = outcomeOf(r)?.at
      return at === undefined ? [] : [at - r.sentAt]
    })),
    sendLag: summarize(schedule.lagsMs.subarray(warmupCount)),
    failures: failuresOf(measured, outcomeOf, ctx.successKinds),
    deadLetters: after.deadLetters - before.deadLetters,
    backlogAtStop: {
      consumerMessages: Math.max(0, atStop.consumerBacklog - before.consumerBacklog),
      byConsumer: atStop.backlogByConsumer,
      ordersInFlight,
    },
    drain: { drained, seconds: drainSeconds },
    outbox: { published: after.ordersCreated - before.ordersCreated, accepted: acceptedAll },
    usage,
    perOrder: {
      database: dbBefore && dbAfter ? perOrder(dbBefore, dbAfter, acceptedAll) : null,
      messages: Object.fromEntries(
        Object.entries(after.messagesByStream).map(([stream, n]) => [stream, acceptedAll > 0 ? (n - (before.messagesByStream[stream] ?? 0)) / acceptedAll : 0]),
      ),
    },
    perCompletedOrder,
  }
}

/** The counters read at each end of the measured window; a reading that failed is absent. */
interface WindowReadings {
  bus?: DeliveryCounters
  statements?: StatementSnapshot
}

/**
 * Reads the bus's and the databases' counters. A failed reading costs the run that figure only
 * (a shared server out of connections must not cost the run).
 */
async function readWindowCounters(ctx: RateRunContext): Promise<WindowReadings> {
  const attempt = async <T>(what: string, read: (() => Promise<T>) | undefined): Promise<T | undefined> => {
    try {
      return await read?.()
    } catch (error) {
      ctx.log(`  ${what} not read: ${error instanceof Error ? error.message : String(error)}`)
      return undefined
    }
  }
  const statements = typeof ctx.statements === 'object' ? ctx.statements : undefined
  const [bus, snapshot] = await Promise.all([
    attempt('JetStream delivery counters', ctx.deliveryCounters),
    attempt('pg_stat_statements', statements && (() => statements.snapshot())),
  ])
  return { ...(bus ? { bus } : {}), ...(snapshot ? { statements: snapshot } : {}) }
}

async function windowCosts(
  ctx: RateRunContext,
  orders: number,
  usage: ProcessUsageReport,
  opened: WindowReadings | undefined,
  closed: WindowReadings | undefined,
): Promise<WindowCosts> {
  let statements: StatementsFigure
  if (typeof ctx.statements === 'string') statements = ctx.statements
  else if (ctx.statements === undefined) statements = 'not measured (no PostgreSQL statistics)'
  else if (!(orders > 0)) statements = 'not measured (no order completed in the window)'
  else if (!opened?.statements || !closed?.statements) statements = 'not measured (pg_stat_statements not read)'
  else {
    try {
      statements = await statementsPerOrder(ctx.statements, opened.statements, closed.statements, orders)
    } catch (error) {
      statements = `not measured (${error instanceof Error ? error.message : String(error)})`
    }
  }
  return {
    orders,
    windowSeconds: opened && closed ? usage.windowSeconds : 0,
    cpuMs: cpuPerOrder(usage, orders),
    ...busPerOrder(opened?.bus, closed?.bus, orders),
    statements,
  }
}

/**
 * The database counters, or undefined: a shared server that is out of connections must cost
 * the run its per-order database figures, not the run itself.
 */
async function readDatabase(ctx: RateRunContext): Promise<DatabaseSnapshot | undefined> {
  try {
    return await ctx.databaseSnapshot?.()
  } catch (error) {
    ctx.log(`  database statistics not read: ${error instanceof Error ? error.message : String(error)}`)
    return undefined
  }
}

function failuresOf(measured: OrderRecord[], outcomeOf: (r: OrderRecord) => Outcome | undefined, successKinds: readonly string[]): Failures {
  const http: Counts = {}
  const network: Counts = {}
  const saga: Counts = {}
  let incomplete = 0
  const count = (counts: Counts, key: string) => (counts[key] = (counts[key] ?? 0) + 1)
  for (const r of measured) {
    const result = r.result
    if (result === undefined) count(network, 'NO_ANSWER')
    else if (result.kind === 'http-error') count(http, `${result.status} ${result.code}`)
    else if (result.kind === 'network-error') count(network, result.code)
    else {
      const outcome = outcomeOf(r)
      if (outcome === undefined) incomplete++
      else if (!successKinds.includes(outcome.kind)) count(saga, outcome.reason ? `${outcome.kind}:${outcome.reason}` : outcome.kind)
    }
  }
  return { http, network, saga, incomplete }
}
