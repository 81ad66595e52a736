import type { IPaymentTransaction } from '../entities/payment-transaction.entity.js'
import type { IPayment } from '../entities/payment.entity.js'
import type { PaymentView } from './payments.schemas.js'

export function toPaymentView(payment: IPayment, transactions: readonly IPaymentTransaction[]): PaymentView {
  return {
    orderId: payment.orderId,
    paymentId: payment.paymentId,
    status: payment.status,
    amount: payment.amount ?? null,
    currency: payment.currency ?? null,
    providerRef: payment.providerRef ?? null,
    ...(payment.declineReason ? { decline: { reason: payment.declineReason, message: payment.declineMessage ?? '' } } : {}),
    createdAt: payment.createdAt.toISOString(),
    updatedAt: payment.updatedAt.toISOString(),
    transactions: transactions.map((t) => ({
      operation: t.operation,
      outcome: t.outcome,
      providerRef: t.providerRef ?? null,
      error: t.error ?? null,
      at: t.at.toISOString(),
    })),
  }
}
