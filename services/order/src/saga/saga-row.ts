import type { OrderStatus } from '../domain/order-status.js'
import type { Address, FailureReason, OrderLineData, Saga, SagaProgress, SagaState } from './saga.js'

/**
 * An order and its saga as statement one loads them (`sagaSelect`): one JSON object per order,
 * locked. Timestamps arrive as ISO strings.
 */
export interface SagaRow {
  readonly id: string
  readonly status: OrderStatus
  readonly customer_id: string
  readonly email: string
  readonly currency: string
  readonly total_amount: number
  readonly shipping_address: Address | null
  readonly items: OrderLineData[]
  readonly state: SagaState
  readonly deadline_at: string | null
  readonly progress: StoredProgress
  readonly payment_token: string | null
  /** The order's trace at intake, if it had one. */
  readonly trace_parent: string | null
  readonly created_at: string
  readonly state_since: string
}

/** What `sagas.progress` holds: every step done (a timestamp each), the cancel and the failure. */
export type StoredProgress = Partial<Record<keyof SagaProgress, string | null>>

/** A loaded order with its saga, as the state machine reads it. */
export interface LoadedSaga {
  readonly saga: Saga
  readonly orderStatus: OrderStatus
}

const TEXT_FIELDS: ReadonlySet<string> = new Set(['cancelReason', 'failureReason', 'failureMessage'])

export function fromRow(row: SagaRow): LoadedSaga {
  const progress: Partial<SagaProgress> = {}
  for (const [key, value] of Object.entries(row.progress)) {
    if (value === null || value === undefined) continue
    Object.assign(progress, { [key]: TEXT_FIELDS.has(key) ? value : new Date(value) })
  }
  return {
    orderStatus: row.status,
    saga: {
      ...progress,
      orderId: row.id,
      customerId: row.customer_id,
      customerEmail: row.email,
      currency: row.currency,
      totalAmount: Number(row.total_amount),
      items: row.items,
      paymentToken: row.payment_token,
      shippingAddress: row.shipping_address,
      state: row.state,
      deadlineAt: row.deadline_at ? new Date(row.deadline_at) : null,
      createdAt: new Date(row.created_at),
      stateSince: new Date(row.state_since),
    },
  }
}

/** The saga columns to write back: state, deadline, token and the progress document. */
export interface SagaColumns {
  readonly order_id: string
  readonly state: SagaState
  readonly deadline_at: string | null
  readonly payment_token: string | null
  readonly progress: StoredProgress
}

// Every field of SagaProgress but those with columns of their own (state, deadline, token).
const PROGRESS_KEYS: ReadonlyArray<keyof SagaProgress> = [
  'reservedAt',
  'authorizedAt',
  'confirmedAt',
  'committedAt',
  'capturedAt',
  'shipmentRequestedAt',
  'shippedAt',
  'deliveredAt',
  'cancelRequestedAt',
  'cancelReason',
  'cancelRefusedAt',
  'shipmentCancelRequestedAt',
  'shipmentCancelledAt',
  'releaseRequestedAt',
  'releasedAt',
  'voidRequestedAt',
  'voidedAt',
  'refundRequestedAt',
  'refundedAt',
  'failureReason',
  'failureMessage',
]

export function toColumns(saga: Saga): SagaColumns {
  const progress: StoredProgress = {}
  for (const key of PROGRESS_KEYS) {
    const value = saga[key]
    if (value === null || value === undefined) continue
    progress[key] = value instanceof Date ? value.toISOString() : String(value)
  }
  return {
    order_id: saga.orderId,
    state: saga.state,
    deadline_at: saga.deadlineAt ? saga.deadlineAt.toISOString() : null,
    payment_token: saga.paymentToken ?? null,
    progress,
  }
}

/** The failure the order shows, from its saga. */
export function failureOf(saga: Saga): { reason: FailureReason; message: string } | undefined {
  return saga.failureReason ? { reason: saga.failureReason, message: saga.failureMessage ?? saga.failureReason } : undefined
}
