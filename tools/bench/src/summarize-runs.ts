import type { DatabaseCounters, DatabaseSnapshot } from './db-stats.js'
import { spreadOf, type LatencySummary, type Spread } from './percentiles.js'
import type { GroupUsage } from './process-monitor.js'
import type { RateRun, RateSummary, Verdict } from './results.js'
import { failureCount } from './verdict.js'

/** Groups that are the platform's own work, not the load generator's nor other people's. */
const NOT_PLATFORM = new Set(['bench (load generator)', 'postgres (other databases)'])

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
      const platformCpu = r.usage.groups.filter((g) => !NOT_PLATFORM.has(g.name)).reduce((a, g) => a + g.cpuSeconds, 0)
      return r.accepted > 0 ? (platformCpu * 1000) / r.accepted : 0
    }),
    databasePerOrder: medianDatabase(runs),
    messagesPerOrder: medianRecord(runs.map((r) => r.perOrder.messages)),
    verdict,
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
