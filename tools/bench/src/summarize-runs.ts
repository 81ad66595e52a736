import type { DatabaseCounters, DatabaseSnapshot } from './db-stats.js'
import { spreadOf, type LatencySummary, type Spread } from './percentiles.js'
import type { GroupUsage } from './process-monitor.js'
import { NOT_PLATFORM_GROUPS } from './process-groups.js'
import type { RateRun, RateSummary, StatementsSummary, Verdict, WindowCostsSummary } from './results.js'
import { TOP_STATEMENTS, type StatementsPerOrder } from './statement-stats.js'
import type { WindowCosts } from './window-costs.js'
import { failureCount } from './verdict.js'


/**
 * Summarises the runs of one rate: the median of each figure with its lowest and highest. Each
 * percentile's median is taken across runs (the median of the runs' p99s), not over pooled
 * samples, so one bad run shows as spread instead of disappearing into the pool.
 */
export function summarizeRate(runs: readonly RateRun[], verdict: Verdict): RateSummary {
  const first = runs[0]
  if (!first) throw new RangeError('no runs to summarise')
  const of = (pick: (r: RateRun) => number): Spread => spreadOf(runs.map(pick)) as Spread
  const groups = [...new Set(runs.flatMap((r) => r.usage.groups.map((g) => g.name)))]
  const perGroup = (pick: (g: GroupUsage, run: RateRun) => number) =>
    Object.fromEntries(
      groups.map((name) => [
        name,
        of((r) => {
          const g = r.usage.groups.find((x) => x.name === name)
          return g ? pick(g, r) : 0
        }),
      ]),
    )
  return {
    rate: first.rate,
    runs: runs.length,
    acceptedPerSecond: of((r) => r.acceptedPerSecond),
    completedPerSecond: of((r) => r.completedPerSecond),
    http: latencySpread(runs.map((r) => r.http)),
    endToEnd: latencySpread(runs.map((r) => r.endToEnd)),
    failures: of(failureCount),
    deadLetters: of((r) => r.deadLetters),
    backlogAtStop: of((r) => r.backlogAtStop.ordersInFlight),
    consumerBacklogAtStop: of((r) => r.backlogAtStop.consumerMessages),
    drainSeconds: of((r) => r.drain.seconds),
    cores: perGroup((g) => g.cores),
    cpuMsPerOrderByGroup: perGroup((g, r) => (r.accepted > 0 ? (g.cpuSeconds * 1000) / r.accepted : 0)),
    peakRssMb: perGroup((g) => g.peakRssMb),
    machineBusyCores: of((r) => r.usage.machine.busyCores),
    otherCores: of((r) => r.usage.machine.otherCores),
    cpuMsPerOrder: of((r) => {
      const platformCpu = r.usage.groups.filter((g) => !NOT_PLATFORM_GROUPS.has(g.name)).reduce((a, g) => a + g.cpuSeconds, 0)
      return r.accepted > 0 ? (platformCpu * 1000) / r.accepted : 0
    }),
    databasePerOrder: medianDatabase(runs),
    messagesPerOrder: medianRecord(runs.map((r) => r.perOrder.messages)),
    perCompletedOrder: summarizeWindowCosts(runs.flatMap((r) => (r.perCompletedOrder ? [r.perCompletedOrder] : []))),
    verdict,
  }
}

/** Each figure of the runs' window costs as median and min–max; a key a run lacks counts 0 in it. */
export function summarizeWindowCosts(costs: readonly WindowCosts[]): WindowCostsSummary | null {
  if (costs.length === 0) return null
  const of = (values: number[]) => spreadOf(values) as Spread
  const spreads = (records: readonly Record<string, number>[]) => {
    const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].sort()
    return Object.fromEntries(keys.map((k) => [k, of(records.map((r) => r[k] ?? 0))]))
  }
  const cpu = costs.flatMap((c) => (c.cpuMs ? [c.cpuMs] : []))
  const deliveries = costs.flatMap((c) => (c.deliveries ? [c.deliveries] : []))
  const published = costs.flatMap((c) => (c.published ? [c.published] : []))
  const counted = costs.flatMap((c) => (typeof c.statements === 'string' ? [] : [c.statements]))
  return {
    orders: of(costs.map((c) => c.orders)),
    cpuMs:
      cpu.length === 0
        ? null
        : { machine: of(cpu.map((c) => c.machine)), platform: of(cpu.map((c) => c.platform)), byGroup: spreads(cpu.map((c) => c.byGroup)) },
    deliveries: deliveries.length === 0 ? null : { total: of(deliveries.map((d) => d.total)), byConsumer: spreads(deliveries.map((d) => d.byConsumer)) },
    published: published.length === 0 ? null : { total: of(published.map((p) => p.total)), byStream: spreads(published.map((p) => p.byStream)) },
    statements: counted.length === 0 ? (costs.find((c) => typeof c.statements === 'string')?.statements as string) : summarizeStatements(counted),
  }
}

function summarizeStatements(runs: readonly StatementsPerOrder[]): StatementsSummary {
  const of = (values: number[]) => spreadOf(values) as Spread
  const databases = [...new Set(runs.flatMap((r) => Object.keys(r.byDatabase)))].sort()
  const statements = new Map<string, { database: string; queryId: string; query: string }>()
  for (const r of runs) for (const s of r.top) statements.set(`${s.database}/${s.queryId}`, { database: s.database, queryId: s.queryId, query: s.query })
  const top = [...statements].map(([key, s]) => ({
    ...s,
    // A statement outside a run's top list had fewer calls there than its last entry: 0 is the bound this can state.
    callsPerOrder: of(runs.map((r) => r.top.find((x) => `${x.database}/${x.queryId}` === key)?.callsPerOrder ?? 0)),
  }))
  top.sort((a, b) => b.callsPerOrder.median - a.callsPerOrder.median || b.callsPerOrder.max - a.callsPerOrder.max)
  const evicted = runs.map((r) => r.evicted)
  return {
    runs: runs.length,
    total: of(runs.map((r) => r.total)),
    byDatabase: Object.fromEntries(databases.map((db) => [db, of(runs.map((r) => r.byDatabase[db] ?? 0))])),
    top: top.slice(0, TOP_STATEMENTS),
    evicted: evicted.every((e) => e === null) ? null : evicted.reduce<number>((a, e) => a + (e ?? 0), 0),
  }
}

function medianRecord(records: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))]
  return Object.fromEntries(keys.map((k) => [k, spreadOf(records.map((r) => r[k] ?? 0))?.median ?? 0]))
}

function medianDatabase(runs: readonly RateRun[]): DatabaseSnapshot | null {
  const snapshots = runs.flatMap((r) => (r.perOrder.database ? [r.perOrder.database] : []))
  if (snapshots.length === 0) return null
  const dbs = [...new Set(snapshots.flatMap((s) => Object.keys(s)))]
  const pick = (field: keyof DatabaseCounters) => (db: string) => spreadOf(snapshots.map((s) => s[db]?.[field] ?? 0))?.median ?? 0
  return Object.fromEntries(
    dbs.map((db) => [db, { transactions: pick('transactions')(db), rowsWritten: pick('rowsWritten')(db), rowsRead: pick('rowsRead')(db) }]),
  )
}

function latencySpread(summaries: (LatencySummary | null)[]): RateSummary['http'] {
  const present = summaries.filter((s): s is LatencySummary => s !== null)
  if (present.length === 0) return null
  const of = (pick: (s: LatencySummary) => number) => spreadOf(present.map(pick)) as Spread
  return { p50: of((s) => s.p50), p90: of((s) => s.p90), p99: of((s) => s.p99), max: of((s) => s.max) }
}
