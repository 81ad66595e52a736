import type { EntityManager } from '@mikro-orm/postgresql'
import { Saga } from '../entities/saga.entity.js'

/**
 * Reads the sagas of several orders in one query into the EntityManager, so the per-event
 * `findOne` by order id that follows is answered from its identity map without a round trip.
 */
export async function loadSagas(em: EntityManager, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length > 0) await em.find(Saga, { orderId: { $in: [...orderIds] } })
}
