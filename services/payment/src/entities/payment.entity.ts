import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { DECLINE_REASONS, PAYMENT_STATUSES } from '../domain/payment-status.js'

/** One order's payment: the order id is the key, so there is never a second payment to charge. */
export const Payment = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    orderId: p.uuid().primary(),
    /** Our own id for the payment, carried in the events. */
    paymentId: p.uuid().unique(),
    /** Minor units; null only on the row a void records for an order never authorized. */
    amount: p.bigint('number').nullable(),
    currency: p.string().length(3).nullable(),
    status: p.enum(PAYMENT_STATUSES),
    /** The provider's authorization reference. */
    providerRef: p.string().length(100).nullable(),
    declineReason: p.enum(DECLINE_REASONS).nullable(),
    declineMessage: p.string().length(500).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    /**
     * Optimistic lock: the authorization is settled only if nothing (a void) changed the row
     * since AUTHORIZING was recorded, as no transaction is held open across the provider call.
     */
    version: p.integer().version(),
  },
  checks: [
    { name: 'payments_amount_not_negative', expression: 'amount >= 0' },
    { name: 'payments_amount_known', expression: "status = 'VOIDED' or (amount is not null and currency is not null)" },
    { name: 'payments_declined_has_reason', expression: "(status = 'DECLINED') = (decline_reason is not null)" },
  ],
})

export type IPayment = InferEntity<typeof Payment>
