import { inTransaction, outboxCte, type OutboxPublisher, type SqlDb } from '@orderflow/db'
import { canRequestCancel, type OrderStatus } from '../domain/order-status.js'
import { SagaChanges } from '../saga/saga-changes.js'
import { clip } from '../saga/saga-messages.js'
import { fromRow } from '../saga/saga-row.js'
import type { SagaMetrics } from '../saga/saga.metrics.js'
import type { SagaTimings } from '../saga/saga.js'
import { lockSagas, writeSagas } from '../saga/saga.sql.js'

export type CancelRequestResult =
  | { readonly outcome: 'requested'; readonly status: OrderStatus }
  | { readonly outcome: 'not-found' }
  | { readonly outcome: 'not-cancellable'; readonly status: OrderStatus }

export interface CancelDeps {
  readonly db: SqlDb
  readonly outbox: OutboxPublisher
  readonly metrics: SagaMetrics
  readonly timings: SagaTimings
}

/**
 * The customer's wish to cancel, decided by the order's saga in the request's own transaction:
 * the order and its saga locked, the request on the timeline, the saga moved (compensating what
 * was done, or asking fulfilment whether the goods have left) and its commands in the outbox,
 * published once it commits. Refused once the order has shipped or ended.
 */
export async function requestCancel(deps: CancelDeps, orderId: string, reason: string | undefined): Promise<CancelRequestResult> {
  const clock = { now: new Date(), ...deps.timings }
  const { result, writes } = await inTransaction(deps.db, async (tx) => {
    const { rows } = await lockSagas([orderId]).execute(tx)
    const changes = new SagaChanges(rows.map(fromRow))
    const status = changes.status(orderId)
    if (!status) return { result: { outcome: 'not-found' as const } }
    if (!canRequestCancel(status)) return { result: { outcome: 'not-cancellable' as const, status } }
    changes.note(orderId, 'CANCEL_REQUESTED', clock.now, reason ? clip(reason) : null)
    changes.apply(orderId, { kind: 'cancel-requested', reason }, clock)
    const w = changes.writes()
    await writeSagas(outboxCte(w.outbox), w).execute(tx)
    return { result: { outcome: 'requested' as const, status: changes.status(orderId) ?? status }, writes: w }
  })
  if (writes) {
    deps.outbox.publishCommitted(writes.outbox)
    deps.metrics.stateExits(writes.stateExits)
    for (const outcome of writes.outcomes) deps.metrics.record(outcome)
  }
  return result
}
