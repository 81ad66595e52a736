import type { EntityManager } from '@mikro-orm/postgresql'
import { PaymentTransaction, type IPaymentTransaction } from '../entities/payment-transaction.entity.js'
import { Payment, type IPayment } from '../entities/payment.entity.js'

// The read side, for the API; the consumers write with their own SQL (payments.sql.ts).

export function findPayment(em: EntityManager, orderId: string): Promise<IPayment | null> {
  return em.findOne(Payment, { orderId })
}

/** The order's provider calls, oldest first. */
export function findTransactions(em: EntityManager, orderId: string): Promise<IPaymentTransaction[]> {
  return em.find(PaymentTransaction, { orderId }, { orderBy: { at: 'asc', id: 'asc' } })
}
