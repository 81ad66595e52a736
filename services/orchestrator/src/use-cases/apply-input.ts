import type { EntityManager } from '@mikro-orm/postgresql'
import { enqueueEvents } from '@orderflow/db'
import type { SagaInput } from '../domain/saga-input.js'
import { applyToSaga } from '../domain/saga-machine.js'
import { isNoChange, type Clock } from '../domain/saga.js'
import { Saga, type ISaga } from '../entities/saga.entity.js'
import { toEvents, type SagaResult } from './saga-result.js'

/**
 * Runs the state machine on a loaded saga and records its decision in the caller's transaction:
 * the changed row (its version checked and bumped at flush) and the messages in the outbox.
 */
export function applyInput(em: EntityManager, saga: ISaga, input: SagaInput, clock: Clock): SagaResult {
  const t = applyToSaga(saga, input, clock)
  if (isNoChange(t)) return { kind: 'ignored', state: saga.state }
  Object.assign(saga, t.changes)
  enqueueEvents(em, toEvents(saga.orderId, t.send, clock.now))
  return { kind: 'applied', orderId: saga.orderId, state: saga.state, outcome: t.outcome, failureReason: saga.failureReason, startedAt: saga.createdAt }
}

/** Moves the order's saga with one input; `unknown-saga` if there is none. */
export async function advanceSaga(em: EntityManager, orderId: string, input: SagaInput, clock: Clock): Promise<SagaResult> {
  const saga = await em.findOne(Saga, { orderId })
  if (!saga) return { kind: 'unknown-saga' }
  return applyInput(em, saga, input, clock)
}

/**
 * Serialises the start of a saga with a cancel for the same order, so a cancel that finds no
 * saga and an `order.created` processed at the same moment cannot both miss each other.
 */
export async function lockOrder(em: EntityManager, orderId: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [orderId])
}

/**
 * {@link lockOrder} for several orders in one statement, in key order: two transactions locking
 * overlapping sets this way cannot deadlock (the first to reach a shared key wins, the other
 * waits holding only smaller keys). Locks are re-entrant, so `lockOrder` on one of them again
 * returns at once.
 */
export async function lockOrders(em: EntityManager, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return
  await em.execute(
    `select pg_advisory_xact_lock(k) from (
       select distinct hashtext(id) as k from (values ${orderIds.map(() => '(?)').join(', ')}) as v(id) order by k) as keys`,
    [...orderIds],
  )
}
