import { startPeriodic } from '@orderflow/runtime'
import { inTransaction, outboxCte, type OutboxPublisher, type SqlDb } from '@orderflow/db'
import type { Logger } from 'pino'
import { fromRow } from './saga-row.js'
import { SagaChanges } from './saga-changes.js'
import type { SagaMetrics } from './saga.metrics.js'
import type { SagaTimings } from './saga.js'
import { claimDueSagas, writeSagas } from './saga.sql.js'

/** What one sweep needs: the database, the publisher of what it commits, and how it decides. */
export interface SweepDeps {
  readonly db: SqlDb
  readonly outbox: OutboxPublisher
  readonly logger: Logger
  readonly metrics: SagaMetrics
  readonly timings: SagaTimings
  /** Due sagas one transaction takes at most. */
  readonly batchSize: number
}

export interface DeadlineSweepOptions extends SweepDeps {
  /** Pause between sweeps when the last one found fewer than a full batch. */
  readonly intervalMs: number
}

export interface DeadlineSweep {
  /** Stops sweeping, waiting for a batch in progress to commit. */
  stop(): Promise<void>
}

/**
 * One batch of the sweep, in one transaction: claim up to `batchSize` due sagas (SKIP LOCKED, so
 * sweeps running at once take different sagas and none waits for a consumer), move each with its
 * deadline input, write them in one statement; publish what it sent once committed. Returns how
 * many sagas were due.
 */
export async function sweepDueSagas(o: SweepDeps, now: Date = new Date()): Promise<number> {
  const clock = { now, ...o.timings }
  const { due, writes } = await inTransaction(o.db, async (tx) => {
    const { rows } = await claimDueSagas(o.batchSize).execute(tx)
    const changes = new SagaChanges(rows.map(fromRow))
    // What a deadline sends continues its order's trace, not a trace of the sweep's own.
    for (const row of rows) changes.apply(row.id, { kind: 'deadline' }, clock, row.trace_parent ? { traceContext: { traceparent: row.trace_parent } } : {})
    const w = changes.writes()
    if (w.sagas.length > 0) await writeSagas(outboxCte(w.outbox), w).execute(tx)
    return { due: rows.length, writes: w }
  })
  o.outbox.publishCommitted(writes.outbox)
  o.metrics.stateExits(writes.stateExits)
  for (const outcome of writes.outcomes) {
    o.metrics.record(outcome)
    o.logger.info({ order_id: outcome.orderId, outcome: outcome.outcome, reason: outcome.failureReason ?? undefined }, 'saga deadline passed; outcome reached')
  }
  return due
}

/**
 * Acts on sagas whose deadline has passed, a batch per transaction ({@link sweepDueSagas}),
 * sweeping again at once while batches come back full. Every replica may run it; a failed sweep
 * is logged and retried at the next interval.
 */
export function startDeadlineSweep(o: DeadlineSweepOptions): DeadlineSweep {
  const deps = { ...o, logger: o.logger.child({ component: 'saga-deadlines' }) }
  return startPeriodic({ name: 'saga-deadlines', intervalMs: o.intervalMs, logger: o.logger, run: async () => (await sweepDueSagas(deps)) === o.batchSize })
}
