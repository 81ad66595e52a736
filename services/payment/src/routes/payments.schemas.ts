import Type, { type Static } from 'typebox'
import { Currency, MinorUnits } from '@orderflow/contracts'
import { DECLINE_REASONS, PAYMENT_STATUSES } from '../domain/payment-status.js'
import { TRANSACTION_OPERATIONS, TRANSACTION_OUTCOMES } from '../entities/payment-transaction.entity.js'

export const PaymentQuery = Type.Object({ orderId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const TransactionView = Type.Object({
  operation: Type.Enum(TRANSACTION_OPERATIONS),
  outcome: Type.Enum(TRANSACTION_OUTCOMES),
  providerRef: Nullable(Type.String()),
  error: Nullable(Type.String()),
  at: Type.String({ format: 'date-time' }),
})

export const PaymentView = Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  paymentId: Type.String({ format: 'uuid' }),
  status: Type.Enum(PAYMENT_STATUSES),
  /** Null when a void came before any authorization. */
  amount: Nullable(MinorUnits),
  currency: Nullable(Currency),
  providerRef: Nullable(Type.String()),
  decline: Type.Optional(Type.Object({ reason: Type.Enum(DECLINE_REASONS), message: Type.String() })),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  /** Every call made to the provider for the order, oldest first. */
  transactions: Type.Array(TransactionView),
})
export type PaymentView = Static<typeof PaymentView>
