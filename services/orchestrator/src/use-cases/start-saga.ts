import type { EntityManager } from '@mikro-orm/postgresql'
import type { DataOf, OrderCreated } from '@orderflow/contracts'
import { enqueueEvents } from '@orderflow/db'
import { startSaga } from '../domain/saga-start.js'
import type { Clock } from '../domain/saga.js'
import { EarlyCancel } from '../entities/early-cancel.entity.js'
import { Saga } from '../entities/saga.entity.js'
import { lockOrder } from './apply-input.js'
import { toEvents, type SagaResult } from './saga-result.js'

/**
 * Starts the saga of a new order in the caller's transaction: the saga row, its first commands
 * in the outbox, and the early cancel (if one came first) consumed. A second `order.created`
 * for the same order (a replay under another event id) changes nothing.
 */
export async function startOrderSaga(em: EntityManager, order: DataOf<typeof OrderCreated>, clock: Clock): Promise<SagaResult> {
  await lockOrder(em, order.orderId)
  const existing = await em.findOne(Saga, { orderId: order.orderId })
  if (existing) return { kind: 'ignored', state: existing.state }
  const early = await em.findOne(EarlyCancel, { orderId: order.orderId })
  const start = startSaga(order, early ? { requestedAt: early.requestedAt, reason: early.reason } : undefined, clock)
  const saga = em.create(Saga, { ...start.saga, items: [...start.saga.items], createdAt: clock.now, updatedAt: clock.now })
  if (early) em.remove(early)
  enqueueEvents(em, toEvents(order.orderId, start.send, clock.now))
  return { kind: 'applied', orderId: saga.orderId, state: saga.state, outcome: start.outcome, failureReason: saga.failureReason, startedAt: clock.now }
}
