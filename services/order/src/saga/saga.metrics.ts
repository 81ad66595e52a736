import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { SAGA_STATES, TERMINAL_STATES, type FailureReason, type SagaOutcome, type SagaState } from './saga.js'

/** A saga that reached an outcome, for the metrics (counted once its transaction committed). */
export interface SagaOutcomeRecord {
  readonly outcome: SagaOutcome
  readonly failureReason?: FailureReason | null | undefined
  /** When the saga started (the order was placed). */
  readonly startedAt: Date
}

export interface SagaMetrics {
  /** Counts an outcome the saga reached (after its transaction committed). */
  record(result: SagaOutcomeRecord): void
}

const byRegistry = new WeakMap<Registry, SagaMetrics>()

/**
 * The saga metrics on a registry, created once per registry (the consumers and the deadline
 * worker share them): how long sagas take to each outcome, how many reach it and why, and how
 * many are in flight per state (counted from the database when scraped, so every replica reports
 * the same number — aggregate with `max`, not `sum`).
 */
export function sagaMetrics(registry: Registry, countInFlight: () => Promise<ReadonlyMap<SagaState, number>>): SagaMetrics {
  const known = byRegistry.get(registry)
  if (known) return known
  const duration = new Histogram({
    name: 'saga_duration_seconds',
    help: 'Time from the order being placed to its saga reaching an outcome',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3_600, 86_400, 604_800],
    registers: [registry],
  })
  const finished = new Counter({
    name: 'sagas_finished_total',
    help: 'Sagas that reached an outcome (CONFIRMED, FAILED, CANCELLED, DELIVERED), by failure reason',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  })
  new Gauge({
    name: 'sagas_in_flight',
    help: 'Sagas not yet finished, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await countInFlight()
      for (const state of SAGA_STATES) if (!TERMINAL_STATES.includes(state)) this.set({ state }, counts.get(state) ?? 0)
    },
  })
  const metrics: SagaMetrics = {
    record(result) {
      const reason = result.outcome === 'FAILED' ? (result.failureReason ?? 'UNKNOWN') : 'none'
      finished.inc({ outcome: result.outcome, reason })
      duration.observe({ outcome: result.outcome }, Math.max(0, Date.now() - result.startedAt.getTime()) / 1000)
    },
  }
  byRegistry.set(registry, metrics)
  return metrics
}
