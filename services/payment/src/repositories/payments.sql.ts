import { sql, type RawBuilder } from 'kysely'
import { jsonRows, type BatchTx, type OutboxRow } from '@orderflow/db'
import type { PaymentDeclineReason, PaymentStatus } from '../domain/payment-status.js'
import { insertCallRecords, type CallRecord } from './call-records.sql.js'

/** A payment as statement one loads it (and as statement two writes it back). */
export interface PaymentRow {
  readonly orderId: string
  readonly paymentId: string
  /** Minor units; null only on the row a void records for an order never authorized. */
  readonly amount: number | null
  readonly currency: string | null
  readonly status: PaymentStatus
  readonly providerRef: string | null
  readonly declineReason: PaymentDeclineReason | null
  readonly declineMessage: string | null
  /**
   * For a payment without an amount: whether a call to authorize was recorded for the order (a
   * failed one, whose transaction rolled back). Always false for a payment with an amount.
   */
  readonly authorizeCalled: boolean
}

/** The payment a command creates for an order that has none. */
export interface NewPayment {
  readonly orderId: string
  /** Whose order it is, when the command said (authorize does; void does not). */
  readonly customerId: string | null
  readonly amount: number | null
  readonly currency: string | null
  readonly status: PaymentStatus
}

// The payment_transactions probe runs only for a payment without an amount (a void came first):
// the hot path never pays for it.
const columns = sql`l.order_id as "orderId", l.payment_id as "paymentId", l.amount, l.currency, l.status,
    l.provider_ref as "providerRef", l.decline_reason as "declineReason", l.decline_message as "declineMessage",
    case when l.amount is null
      then exists (select 1 from payment_transactions t where t.order_id = l.order_id and t.operation = 'AUTHORIZE')
      else false end as "authorizeCalled"`

/** The load of statement one for capture and refund: the orders' payments, locked in order-id order. */
export function lockPayments(orderIds: readonly string[]): RawBuilder<PaymentRow> {
  return sql<PaymentRow>`select ${columns} from payments l
    where l.order_id = any(${[...orderIds]}::uuid[]) order by l.order_id for update`
}

/**
 * The load of statement one for authorize and void: creates the payments the orders do not have
 * yet (`initial`, one per order), then returns every one of them locked in order-id order.
 *
 * It goes through `payments_lock_or_create` (migrations 20261207180100 and 20261207220000) because the load runs
 * inside statement one's select, where an INSERT cannot go, and because the function's select
 * takes a snapshot of its own after the insert: when another transaction was creating the same
 * payment, the insert waits for it, and the select then sees (and locks) the row it committed —
 * which a select in the inserting statement, on that statement's older snapshot, would miss.
 */
export function lockOrCreatePayments(initial: readonly NewPayment[]): RawBuilder<PaymentRow> {
  const json = JSON.stringify(initial.map((p) => ({ order_id: p.orderId, customer_id: p.customerId, amount: p.amount, currency: p.currency, status: p.status })))
  return sql<PaymentRow>`select ${columns} from payments_lock_or_create(${json}::jsonb) l`
}

/** What a batch changed, to write in statement two. */
export interface PaymentChangeSet {
  /** The payments whose status moved, as they are now (one per order). */
  readonly payments: readonly PaymentRow[]
  /** The provider calls the batch made, answered: written only here, with what they caused. */
  readonly calls: readonly CallRecord[]
  readonly outbox: readonly OutboxRow[]
}

/**
 * Statement two: the new states of the payments, the provider calls that led to them and the
 * events that report them, in one statement whatever the batch's size. A provider's answer is
 * recorded only here, in the transaction that acts on it: a transaction that dies leaves no
 * record, and its retry — answered the same by the provider — writes the only one.
 */
export async function writePaymentChanges(tx: BatchTx, changes: PaymentChangeSet): Promise<void> {
  const payments = changes.payments.map((p) => ({
    order_id: p.orderId,
    status: p.status,
    provider_ref: p.providerRef,
    decline_reason: p.declineReason,
    decline_message: p.declineMessage,
  }))
  await sql`with ${tx.outbox(changes.outbox)},
    updated as (
      update payments p
         set status = u.status, provider_ref = u.provider_ref, decline_reason = u.decline_reason,
             decline_message = u.decline_message, updated_at = now(), version = p.version + 1
        from ${jsonRows(payments, 'order_id uuid, status text, provider_ref text, decline_reason text, decline_message text')} as u
       where p.order_id = u.order_id),
    recorded as (${insertCallRecords(changes.calls)})
    select 1`.execute(tx.db)
}
