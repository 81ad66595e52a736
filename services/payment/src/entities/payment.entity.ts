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
    /**
     * Whose order it is, from AuthorizePayment, so that the customer's token reads it; null when
     * a void came first or the command predates the field (then staff alone read it).
     */
    customerId: p.string().length(100).nullable(),
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
     * Bumped by every change. The consumers serialise one order's commands with the row's lock
     * (held across the provider call); the version tells a reader that the row moved.
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
