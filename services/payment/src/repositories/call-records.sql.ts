import { sql, type RawBuilder } from 'kysely'
import type { TransactionOperation, TransactionOutcome } from '../entities/payment-transaction.entity.js'

/** One call to the provider as `payment_transactions` keeps it. */
export interface CallRecord {
  readonly orderId: string
  readonly operation: TransactionOperation
  readonly outcome: TransactionOutcome
  readonly providerRef: string | null
  /** The decline or failure, as the provider or the client said it (at most 500 characters). */
  readonly error: string | null
  /** When the answer (or the failure) came, ISO 8601. */
  readonly at: string
}

/**
 * `insert into payment_transactions …` for `records`, in their order (the table's ids follow it):
 * one JSON array whatever their number, so the statement's text never changes.
 */
export function insertCallRecords(records: readonly CallRecord[]): RawBuilder<unknown> {
  const json = JSON.stringify(
    records.map((r) => ({ order_id: r.orderId, operation: r.operation, outcome: r.outcome, provider_ref: r.providerRef, error: r.error?.slice(0, 500) ?? null, at: r.at })),
  )
  return sql`insert into payment_transactions (order_id, operation, outcome, provider_ref, error, at)
      select c.order_id, c.operation, c.outcome, c.provider_ref, c.error, c.at
        from jsonb_to_recordset(${json}::jsonb) as c(order_id uuid, operation text, outcome text, provider_ref text, error text, at timestamptz)`
}
