import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

export const TRANSACTION_OPERATIONS = ['AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND'] as const
export type TransactionOperation = (typeof TRANSACTION_OPERATIONS)[number]

/** How a provider call ended, after the client's own retries. */
export const TRANSACTION_OUTCOMES = ['SUCCEEDED', 'DECLINED', 'REJECTED', 'UNAVAILABLE', 'TIMEOUT', 'CIRCUIT_OPEN', 'ERROR'] as const
export type TransactionOutcome = (typeof TRANSACTION_OUTCOMES)[number]

/**
 * One call to the provider and how it ended: the audit trail of what was asked of the provider.
 * An answer is written with what it caused, in the transaction that acts on it (so a retry after
 * that transaction died does not record it twice); a failure is written aside, at once, as the
 * transaction it happened in rolls back.
 */
export const PaymentTransaction = defineEntity({
  name: 'PaymentTransaction',
  tableName: 'payment_transactions',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    orderId: p.uuid(),
    operation: p.enum(TRANSACTION_OPERATIONS),
    outcome: p.enum(TRANSACTION_OUTCOMES),
    providerRef: p.string().length(100).nullable(),
    /** The decline or failure, as the provider or the client said it. */
    error: p.string().length(500).nullable(),
    at: p.datetime(),
  },
  // The payment's history is read by order, oldest first.
  indexes: [{ properties: ['orderId', 'at'] }],
})

export type IPaymentTransaction = InferEntity<typeof PaymentTransaction>
