import type { Static, TSchema } from 'typebox'
import type { MessageDefinition, OrderLine, ShippingAddress } from '@orderflow/contracts'
import type { ORDER_FAILURE_REASONS } from '@orderflow/contracts'

/**
 * Where an order's saga is. CANCELLING is CONFIRMED with a cancellation asked of fulfilment
 * and not yet answered; COMPENSATING undoes what was done and ends in FAILED or CANCELLED.
 */
export const SAGA_STATES = [
  'RESERVING',
  'AUTHORIZING',
  'CONFIRMED',
  'CANCELLING',
  'SHIPPED',
  'DELIVERED',
  'COMPENSATING',
  'FAILED',
  'CANCELLED',
] as const
export type SagaState = (typeof SAGA_STATES)[number]

/** States the saga never leaves; late events may still trigger a defensive command. */
export const TERMINAL_STATES: readonly SagaState[] = ['DELIVERED', 'FAILED', 'CANCELLED']

export type FailureReason = (typeof ORDER_FAILURE_REASONS)[number]
export type OrderLineData = Static<typeof OrderLine>
export type Address = Static<typeof ShippingAddress>

/** What the saga remembers of the order: enough to send every command it may need. */
export interface SagaOrder {
  readonly orderId: string
  /** Whose order it is: payment and fulfilment are told, so that they answer the customer's token. */
  readonly customerId: string
  readonly customerEmail: string
  readonly currency: string
  readonly totalAmount: number
  readonly items: readonly OrderLineData[]
  /** The provider's card token, kept only until the authorization is answered (a re-sent AuthorizePayment needs it). */
  readonly paymentToken?: string | null
  readonly shippingAddress?: Address | null
}

/**
 * What the saga has done and been told, step by step. A `…RequestedAt` without its
 * confirmation is a command still owed an answer; the deadline re-sends it.
 */
export interface SagaProgress {
  state: SagaState
  /** When the command still unanswered is sent again (or, past the give-up time, given up); null when nothing is owed. */
  deadlineAt?: Date | null
  reservedAt?: Date | null
  authorizedAt?: Date | null
  /** CommitStock, CapturePayment and CreateShipment were sent: a later cancel must refund. */
  confirmedAt?: Date | null
  committedAt?: Date | null
  capturedAt?: Date | null
  shipmentRequestedAt?: Date | null
  shippedAt?: Date | null
  deliveredAt?: Date | null
  cancelRequestedAt?: Date | null
  cancelReason?: string | null
  cancelRefusedAt?: Date | null
  shipmentCancelRequestedAt?: Date | null
  shipmentCancelledAt?: Date | null
  releaseRequestedAt?: Date | null
  releasedAt?: Date | null
  voidRequestedAt?: Date | null
  voidedAt?: Date | null
  refundRequestedAt?: Date | null
  refundedAt?: Date | null
  failureReason?: FailureReason | null
  failureMessage?: string | null
  paymentToken?: string | null
}

/**
 * A saga as the state machine reads it; the entity has this shape (and more). `stateSince` is
 * when it entered its state, for the metrics (the machine never reads it).
 */
export type Saga = SagaOrder & Readonly<SagaProgress> & { readonly createdAt: Date; readonly stateSince?: Date }

/** A command or event to enqueue, with data already typed against its contract. */
export interface Outgoing {
  readonly definition: MessageDefinition
  readonly data: unknown
}

export function message<S extends TSchema>(definition: MessageDefinition<S>, data: Static<S>): Outgoing {
  return { definition, data }
}

/** Outcomes counted by the metrics: the saga's decisions and its completion. */
export type SagaOutcome = 'CONFIRMED' | 'FAILED' | 'CANCELLED' | 'DELIVERED'

/** What one input does to a saga: field changes, messages to enqueue, and an outcome if one was reached. */
export interface Transition {
  readonly changes: Partial<SagaProgress>
  readonly send: readonly Outgoing[]
  readonly outcome?: SagaOutcome
}

export const NO_CHANGE: Transition = { changes: {}, send: [] }

export function isNoChange(t: Transition): boolean {
  return Object.keys(t.changes).length === 0 && t.send.length === 0
}

/** How long the saga waits: for an answer before it asks again, and in all before it gives up. */
export interface SagaTimings {
  /** A step's command unanswered this long is sent again (every command is idempotent). */
  readonly stepTimeoutMs: number
  /**
   * RESERVING or AUTHORIZING unanswered this long fails the order with TIMEOUT. Far longer than
   * the step timeout: an outage of the broker, the database or a participant is not the
   * customer's problem, so the command is re-sent until this, not failed at the first deadline.
   */
  readonly giveUpAfterMs: number
}

/** The time the machine decides at, and the timings it sets deadlines with. */
export interface Clock extends SagaTimings {
  readonly now: Date
}

export const nextDeadline = (clock: Clock): Date => new Date(clock.now.getTime() + clock.stepTimeoutMs)
