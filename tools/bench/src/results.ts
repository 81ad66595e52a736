import type { DatabaseSnapshot } from './db-stats.js'
import type { MachineInfo } from './machine-info.js'
import type { LatencySummary, Spread } from './percentiles.js'
import type { ProcessUsageReport } from './process-monitor.js'
import type { WindowCosts } from './window-costs.js'

/** Counts by kind, e.g. `{ "503 SERVICE_UNAVAILABLE": 3 }`. */
export type Counts = Record<string, number>

/** What went wrong with the measured orders, by kind. */
export interface Failures {
  /** Non-202 answers by `<status> <problem code>`. */
  http: Counts
  /** Requests without an answer, by error code. */
  network: Counts
  /** Accepted orders whose saga did not confirm, by `<outcome>:<reason>`. */
  saga: Counts
  /** Accepted orders with no outcome by the end of the drain. */
  incomplete: number
}

/** One run at one fixed arrival rate: the warm-up excluded, figures over the measured window. */
export interface RateRun {
  rate: number
  startedAt: string
  /** Orders sent in the measured window. */
  sent: number
  /** Of those, answered 202. */
  accepted: number
  acceptedPerSecond: number
  /** Outcomes (saga outcome, or `order.evt.created` in intake mode) that arrived inside the window, per second. */
  completedPerSecond: number
  /** POST sent → HTTP answer, ms, every answer. */
  http: LatencySummary | null
  /** POST sent → outcome event, ms, accepted orders that completed. */
  endToEnd: LatencySummary | null
  /** How late the generator sent (actual − scheduled), ms: its own error. */
  sendLag: LatencySummary | null
  failures: Failures
  /** Dead letters added during the run (DLQ stream count delta). */
  deadLetters: number
  /** When the load stopped: what was still to do. */
  backlogAtStop: {
    /** Consumers' pending + unacked messages above what they had before the run. */
    consumerMessages: number
    byConsumer: Counts
    /** Orders sent (warm-up included) not yet answered or not yet completed. */
    ordersInFlight: number
  }
  drain: {
    /** Every order answered and completed, consumers back to their backlog before the run. */
    drained: boolean
    /** Time from the load stopping to drained (or to giving up). */
    seconds: number
  }
  /** `order.evt.created` published during the run versus orders accepted (warm-up included). */
  outbox: { published: number; accepted: number }
  usage: ProcessUsageReport
  /** Work per accepted order over the whole run (warm-up and drain included). */
  perOrder: {
    /** By service database; null when PostgreSQL's statistics could not be read. */
    database: DatabaseSnapshot | null
    /** Messages stored per domain stream. */
    messages: Record<string, number>
  }
  /**
   * CPU, JetStream deliveries, messages published and SQL statements per order completed inside
   * the measured window, counted over that window. Absent in results of older benchmarks.
   */
  perCompletedOrder?: WindowCosts
}

/** Whether a rate was kept up with, and why not. */
export interface Verdict {
  sustainable: boolean
  reasons: string[]
}

/** The runs of one rate, summarised as medians with their spread. */
export interface RateSummary {
  rate: number
  runs: number
  acceptedPerSecond: Spread
  completedPerSecond: Spread
  http: { p50: Spread; p90: Spread; p99: Spread; max: Spread } | null
  endToEnd: { p50: Spread; p90: Spread; p99: Spread; max: Spread } | null
  /** Failed orders (HTTP, network, saga, incomplete) per run. */
  failures: Spread
  deadLetters: Spread
  /** Orders unfinished when the load stopped. */
  backlogAtStop: Spread
  /** Consumers' pending + unacked messages (above the run's start) when the load stopped. */
  consumerBacklogAtStop: Spread
  drainSeconds: Spread
  /** CPU cores used by each process group. */
  cores: Record<string, Spread>
  /** CPU milliseconds of each process group per order accepted in the window. */
  cpuMsPerOrderByGroup: Record<string, Spread>
  peakRssMb: Record<string, Spread>
  /** Busy cores of the whole machine, and those of other work. */
  machineBusyCores: Spread
  otherCores: Spread
  /** Service CPU (processes of the platform, PostgreSQL and NATS, not the generator) per accepted order, ms. */
  cpuMsPerOrder: Spread
  /** Median per order of each database's transactions, rows written and rows read. */
  databasePerOrder: DatabaseSnapshot | null
  /** Median messages per order in each stream. */
  messagesPerOrder: Record<string, number>
  /** The runs' {@link RateRun.perCompletedOrder}, median and min–max; null when no run has them (older results). */
  perCompletedOrder: WindowCostsSummary | null
  verdict: Verdict
}

/** {@link WindowCosts} over the runs of one rate: each figure's median with its lowest and highest. */
export interface WindowCostsSummary {
  /** Orders completed in the measured window. */
  orders: Spread
  /** CPU ms per completed order; null when no run completed an order. */
  cpuMs: { machine: Spread; platform: Spread; byGroup: Record<string, Spread> } | null
  /** Null when no run read the bus's counters. */
  deliveries: { total: Spread; byConsumer: Record<string, Spread> } | null
  published: { total: Spread; byStream: Record<string, Spread> } | null
  /** Over the runs that counted statements, or the first run's `not measured (<why>)` when none did. */
  statements: StatementsSummary | string
}

export interface StatementsSummary {
  /** Runs that counted statements. */
  runs: number
  total: Spread
  byDatabase: Record<string, Spread>
  /** The most called statements by median calls per order, most first. */
  top: { database: string; queryId: string; query: string; callsPerOrder: Spread }[]
  /** Entries evicted during the windows, all runs together; null when the server does not say. */
  evicted: number | null
}

export type BenchMode = 'fixed' | 'step'

/** The settings a benchmark ran with, as given or defaulted. */
export interface BenchSettings {
  mode: BenchMode
  /** Measure order intake only: the outcome is `order.evt.created`, not the saga's. */
  intake: boolean
  rates: number[]
  warmupSeconds: number
  durationSeconds: number
  runs: number
  drainTimeoutSeconds: number
  skus: number
  connections: number
  /** VACUUM ANALYZE the platform databases before each run. */
  vacuum: boolean
  thresholds: Thresholds
}

/** What makes a rate sustainable. */
export interface Thresholds {
  /** End-to-end p99 (HTTP p99 in intake mode) must not exceed this. */
  maxP99Ms: number
  /** Share of failed orders tolerated. */
  maxFailureRate: number
  /** The backlog left when the load stops must be gone within this. */
  maxDrainSeconds: number
  /** Completions per second must reach this share of the accepted rate. */
  minCompletionRatio: number
  /** The generator must send on time: its p99 lag above this makes the figures untrustworthy. */
  maxSendLagMs: number
}

/** The whole benchmark: what `bench-results/<timestamp>.json` holds. */
export interface BenchResult {
  version: 1
  id: string
  /** The command line that ran it, as the report quotes it. */
  command?: string
  /** The services that were running (intake runs may have only the order service). */
  services?: string[]
  /** Processes per service (`REPLICAS=N make up`); absent in results from before it existed. */
  replicas?: number
  startedAt: string
  finishedAt: string
  machine: MachineInfo
  /** The PostgreSQL server's settings that matter here; null when they could not be read. */
  database: Record<string, string> | null
  /**
   * Where statements per order come from (`pg_stat_statements, databases …`), or
   * `not measured (<why>)`, e.g. `not measured (pg_stat_statements not loaded)`. Absent in
   * results of older benchmarks.
   */
  statements?: string
  settings: BenchSettings
  /**
   * Set when, every so many seconds during the runs, the benchmark vacuumed or analyzed the
   * tables autovacuum's thresholds called due; absent in results of older benchmarks and with
   * `--no-vacuum`.
   */
  vacuumDuringRunsSeconds?: number
  summaries: RateSummary[]
  /** Step mode: the highest rate sustained before the first that was not; null if none was. */
  highestSustainable: number | null
  /** Why the benchmark stopped before its plan was done (an error, Ctrl-C); null when it finished. */
  stoppedEarly: string | null
  runs: RateRun[]
  /** The books of every order the benchmark placed, checked after the last run; absent for intake runs. */
  books?: BooksCheck
}

/** `orderflow books`' rules applied to the benchmark's orders once the system has drained. */
export interface BooksCheck {
  /** Orders checked, by status. */
  statuses: Record<string, number>
  /** How many rules were broken, and the first of them. */
  violationCount: number
  violations: string[]
  /** Orders that had not ended when the benchmark stopped waiting for them. */
  unfinished: number
}
