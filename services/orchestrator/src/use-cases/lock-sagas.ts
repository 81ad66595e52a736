import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Saga } from '../entities/saga.entity.js'

/**
 * Reads and row-locks the sagas of several orders in one query, in order id order, into the
 * EntityManager: the per-event `findOne` by order id that follows is answered from its identity
 * map, without a round trip.
 *
 * The lock is what keeps a batch from overwriting a move committed by someone else (the deadline
 * worker, a single-event handler) between its read and its write. One saga per transaction is
 * protected by its version check; MikroORM does not check versions when one flush updates several
 * entities of a type at once, and a batch does. Locked, the rows cannot change under the batch:
 * the deadline worker's SKIP LOCKED passes them by, and a single-event handler's update waits and
 * then fails its version check, and retries. Taken in order id order, two batches cannot deadlock.
 */
export async function lockSagas(em: EntityManager, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return
  await em.find(Saga, { orderId: { $in: [...orderIds] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { orderId: 'asc' } })
}
