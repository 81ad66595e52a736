import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { InFlight } from './count-in-flight.js'
import { SAGA_STATES, TERMINAL_STATES, type FailureReason, type SagaOutcome, type SagaState } from './saga.js'

/** A saga that reached an outcome, for the metrics (counted once its transaction committed). */
export interface SagaOutcomeRecord {
  readonly outcome: SagaOutcome
  readonly failureReason?: FailureReason | null | undefined
  /** When the saga started (the order was placed). */
  readonly startedAt: Date
}

/** A saga left `state` after `seconds` in it. */
export interface StateExit {
  readonly state: SagaState
  readonly seconds: number
}

export interface SagaMetrics {
  /** Counts an outcome the saga reached (after its transaction committed). */
  record(result: SagaOutcomeRecord): void
  /** Times the states sagas left (after their transaction committed). */
  stateExits(exits: readonly StateExit[]): void
}

const byRegistry = new WeakMap<Registry, SagaMetrics>()

const ACTIVE = SAGA_STATES.filter((s) => !TERMINAL_STATES.includes(s))

/**
 * The saga metrics on a registry, created once per registry (the consumers and the deadline
 * worker share them): how long sagas take to each outcome, how many reach it and why, how long
 * they stay in each state, and how many are in flight per state with how long the oldest of them
 * has been there (read from the database when scraped, so every replica reports the same
 * numbers — aggregate with `max`, not `sum`).
 */
export function sagaMetrics(registry: Registry, countInFlight: () => Promise<ReadonlyMap<SagaState, InFlight>>): SagaMetrics {
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
  const stateDuration = new Histogram({
    name: 'saga_state_duration_seconds',
    help: 'Time a saga spent in a state, observed when it leaves it: how long each step waited for its answer',
    labelNames: ['state'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3_600, 86_400],
    registers: [registry],
  })
  // Both gauges come from one query: a scrape collects them at the same time and shares it.
  let sampling: Promise<ReadonlyMap<SagaState, InFlight>> | undefined
  const sample = () =>
    (sampling ??= countInFlight().finally(() => {
      sampling = undefined
    }))
  new Gauge({
    name: 'sagas_in_flight',
    help: 'Sagas not yet finished, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const inFlight = await sample()
      for (const state of ACTIVE) this.set({ state }, inFlight.get(state)?.count ?? 0)
    },
  })
  new Gauge({
    name: 'sagas_oldest_in_state_seconds',
    help: 'How long the saga longest in each unfinished state has been in it (0 when none is)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const inFlight = await sample()
      for (const state of ACTIVE) this.set({ state }, inFlight.get(state)?.oldestSeconds ?? 0)
    },
  })
  const metrics: SagaMetrics = {
    record(result) {
      const reason = result.outcome === 'FAILED' ? (result.failureReason ?? 'UNKNOWN') : 'none'
      finished.inc({ outcome: result.outcome, reason })
      duration.observe({ outcome: result.outcome }, Math.max(0, Date.now() - result.startedAt.getTime()) / 1000)
    },
    stateExits(exits) {
      for (const exit of exits) stateDuration.observe({ state: exit.state }, exit.seconds)
    },
  }
  byRegistry.set(registry, metrics)
  return metrics
}
