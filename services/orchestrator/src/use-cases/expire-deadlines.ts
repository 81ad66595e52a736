import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Clock } from '../domain/saga.js'
import { Saga } from '../entities/saga.entity.js'
import { applyInput } from './apply-input.js'
import type { SagaResult } from './saga-result.js'

/**
 * Handles up to `limit` sagas whose deadline has passed, in the caller's transaction. The rows
 * are claimed with FOR UPDATE SKIP LOCKED, so several replicas scanning at once each take
 * different sagas, and a consumer moving one of them waits, then retries on the new version.
 */
export async function expireDueSagas(em: EntityManager, limit: number, clock: Clock): Promise<SagaResult[]> {
  const due = await em.find(
    Saga,
    { deadlineAt: { $lte: clock.now } },
    { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE, orderBy: { deadlineAt: 'asc' }, limit },
  )
  return due.map((saga) => applyInput(em, saga, { kind: 'deadline' }, clock))
}
