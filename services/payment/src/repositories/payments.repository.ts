import { randomUUID } from 'node:crypto'
import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { InboxKey } from '@orderflow/db'
import type { PaymentStatus } from '../domain/payment-status.js'
import { PaymentTransaction, type IPaymentTransaction } from '../entities/payment-transaction.entity.js'
import { Payment, type IPayment } from '../entities/payment.entity.js'

export interface NewPayment {
  orderId: string
  amount: number | null
  currency: string | null
  status: PaymentStatus
}

/**
 * The order's payment, locked for the rest of the caller's transaction; created with `initial`
 * when there is none. Insert-or-nothing first, so an authorize and a void arriving together for
 * a new order cannot both create it: the second waits on the row and sees the first's.
 */
export async function lockOrCreatePayment(em: EntityManager, initial: NewPayment): Promise<{ payment: IPayment; created: boolean }> {
  const now = new Date()
  const inserted = await em
    .createQueryBuilder(Payment)
    .insert({ ...initial, paymentId: randomUUID(), createdAt: now, updatedAt: now, version: 1 })
    .onConflict('orderId')
    .ignore()
    .execute<{ affectedRows: number }>('run')
  const payment = await em.findOneOrFail(Payment, { orderId: initial.orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
  return { payment, created: inserted.affectedRows > 0 }
}

/** The order's payment, locked for the rest of the caller's transaction, or `null`. */
export function lockPayment(em: EntityManager, orderId: string): Promise<IPayment | null> {
  return em.findOne(Payment, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
}

export function findPayment(em: EntityManager, orderId: string): Promise<IPayment | null> {
  return em.findOne(Payment, { orderId })
}

/** The order's provider calls, oldest first. */
export function findTransactions(em: EntityManager, orderId: string): Promise<IPaymentTransaction[]> {
  return em.find(PaymentTransaction, { orderId }, { orderBy: { at: 'asc', id: 'asc' } })
}

/**
 * Whether a consumer already processed an event. `processOnce` is what guarantees it; this early
 * look only spares a redelivered command a provider call before `processOnce` would skip it.
 */
export async function alreadyProcessed(em: EntityManager, key: InboxKey): Promise<boolean> {
  const rows = await em.execute<{ found: number }[]>('select 1 as found from inbox where consumer = ? and event_id = ?', [key.consumer, key.eventId])
  return rows.length > 0
}
