import type { EntityManager } from '@mikro-orm/postgresql'
import type { DataOf, OrderCreated } from '@orderflow/contracts'
import { Recipient } from '../entities/recipient.entity.js'

/** Remembers whom to write about the order, in the caller's transaction; `false` if already known. */
export async function rememberRecipient(em: EntityManager, order: DataOf<typeof OrderCreated>): Promise<boolean> {
  if (await em.findOne(Recipient, { orderId: order.orderId })) return false
  em.create(Recipient, { orderId: order.orderId, customerId: order.customerId, email: order.email, createdAt: new Date() })
  return true
}
