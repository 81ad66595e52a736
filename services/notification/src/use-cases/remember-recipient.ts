import type { EntityManager } from '@mikro-orm/postgresql'
import type { DataOf, OrderCreated } from '@orderflow/contracts'
import { Recipient } from '../entities/recipient.entity.js'

/** Remembers whom to write about the order, in the caller's transaction; `false` if already known. */
export async function rememberRecipient(em: EntityManager, order: DataOf<typeof OrderCreated>): Promise<boolean> {
  if (await em.findOne(Recipient, { orderId: order.orderId })) return false
  em.create(Recipient, { orderId: order.orderId, customerId: order.customerId, email: order.email, createdAt: new Date() })
  return true
}

/**
 * Reads the recipients of several orders in one query into the EntityManager, so the per-event
 * lookups by order id that follow are answered from its identity map without a round trip.
 */
export async function loadRecipients(em: EntityManager, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length > 0) await em.find(Recipient, { orderId: { $in: [...new Set(orderIds)] } })
}
