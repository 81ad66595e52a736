import type { EntityManager } from '@mikro-orm/postgresql'
import type { DataOf, OrderCancelRequested } from '@orderflow/contracts'
import type { Clock } from '../domain/saga.js'
import { clip } from '../domain/saga-messages.js'
import { EarlyCancel } from '../entities/early-cancel.entity.js'
import { Saga } from '../entities/saga.entity.js'
import { applyInput, lockOrder } from './apply-input.js'
import type { SagaResult } from './saga-result.js'

/**
 * A customer's cancel: the saga decides what it means in its state. For an order the saga has
 * not seen yet (the cancel overtook `order.created`) it is remembered, and the saga starts
 * cancelled; a second early cancel keeps the first.
 */
export async function requestCancel(em: EntityManager, data: DataOf<typeof OrderCancelRequested>, clock: Clock): Promise<SagaResult> {
  await lockOrder(em, data.orderId)
  const saga = await em.findOne(Saga, { orderId: data.orderId })
  if (saga) return applyInput(em, saga, { kind: 'cancel-requested', reason: data.reason }, clock)
  const known = await em.findOne(EarlyCancel, { orderId: data.orderId })
  if (!known) {
    em.create(EarlyCancel, { orderId: data.orderId, requestedBy: data.requestedBy, reason: data.reason ? clip(data.reason) : null, requestedAt: clock.now })
  }
  return { kind: 'remembered' }
}
