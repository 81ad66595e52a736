import {
  OrderCancelled,
  OrderCancelRefused,
  OrderConfirmed,
  OrderFailed,
  OrderProgressed,
  isEventOf,
  type CloudEvent,
} from '@orderflow/contracts'
import { outboxRows, type OutboxRow } from '@orderflow/db'
import { canMove, type OrderStatus } from '../domain/order-status.js'
import { toEvents } from './saga-events.js'
import { applyToSaga } from './saga-machine.js'
import type { SagaInput } from './saga-input.js'
import type { SagaOutcomeRecord, StateExit } from './saga.metrics.js'
import { failureOf, toColumns, type LoadedSaga, type SagaColumns } from './saga-row.js'
import { isNoChange, type Clock, type Outgoing, type Saga, type SagaState, type Transition } from './saga.js'

/** One entry of an order's timeline, as statement two inserts it. */
export interface TimelineRow {
  readonly order_id: string
  readonly type: string
  readonly at: string
  readonly detail: string | null
  readonly event_id: string | null
}

/** An order whose status or failure changed. */
export interface OrderColumns {
  readonly id: string
  readonly status: OrderStatus
  readonly failure_reason: string | null
  readonly failure_message: string | null
}

/** Everything one transaction writes for the sagas it moved: statement two's arrays. */
export interface SagaWrites {
  readonly sagas: readonly SagaColumns[]
  readonly orders: readonly OrderColumns[]
  readonly timeline: readonly TimelineRow[]
  readonly outbox: readonly OutboxRow[]
  /** Outcomes reached, for the metrics once the transaction has committed. */
  readonly outcomes: ReadonlyArray<SagaOutcomeRecord & { readonly orderId: string }>
  /** States left and how long each saga had been in them, for the metrics likewise. */
  readonly stateExits: readonly StateExit[]
}

/** What caused an input: the event (for its id and time on the timeline) and the trace to continue. */
export interface Cause {
  readonly event?: CloudEvent
  readonly traceContext?: Readonly<Record<string, string>>
}

// Steps of the saga that only the order's own timeline shows; nobody else consumes them.
const TIMELINE_ONLY: ReadonlySet<string> = new Set([OrderProgressed.type, OrderCancelRefused.type])

// The order status a saga state shows, where it shows one (COMPENSATING keeps what the order had).
const STATUS_OF: Partial<Record<SagaState, OrderStatus>> = {
  CONFIRMED: 'CONFIRMED',
  CANCELLING: 'CONFIRMED',
  SHIPPED: 'SHIPPED',
  DELIVERED: 'DELIVERED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
}

/**
 * The sagas of one transaction, moved in memory one input after the other — several inputs may
 * concern one order — and turned into statement two's rows at the end. The order's status,
 * failure and timeline move with its saga: they are the same transaction's writes.
 */
export class SagaChanges {
  readonly #loaded = new Map<string, { saga: Saga; status: OrderStatus; changed: boolean; statusChanged: boolean }>()
  readonly #timeline: TimelineRow[] = []
  readonly #outbox: OutboxRow[] = []
  readonly #outcomes: Array<SagaOutcomeRecord & { readonly orderId: string }> = []
  readonly #stateExits: StateExit[] = []

  constructor(loaded: readonly LoadedSaga[]) {
    for (const l of loaded) this.#loaded.set(l.saga.orderId, { saga: l.saga, status: l.orderStatus, changed: false, statusChanged: false })
  }

  has(orderId: string): boolean {
    return this.#loaded.has(orderId)
  }

  saga(orderId: string): Saga | undefined {
    return this.#loaded.get(orderId)?.saga
  }

  /** The order status as it stands after the inputs applied so far. */
  status(orderId: string): OrderStatus | undefined {
    return this.#loaded.get(orderId)?.status
  }

  /** Runs the state machine for one input; returns what it decided (NO_CHANGE included). */
  apply(orderId: string, input: SagaInput, clock: Clock, cause: Cause = {}): Transition | undefined {
    const entry = this.#loaded.get(orderId)
    if (!entry) return undefined
    const before = entry.saga
    const t = applyToSaga(before, input, clock)
    if (isNoChange(t)) return t
    entry.saga = { ...before, ...t.changes }
    if (entry.saga.state !== before.state) {
      // statement two sets state_since in the database the same way (its now(), not this clock).
      if (before.stateSince) this.#stateExits.push({ state: before.state, seconds: Math.max(0, clock.now.getTime() - before.stateSince.getTime()) / 1000 })
      entry.saga = { ...entry.saga, stateSince: clock.now }
    }
    entry.changed = true
    this.#record(entry.saga, t.send, clock.now, cause)
    const next = STATUS_OF[entry.saga.state]
    if (next && next !== entry.status && canMove(entry.status, next)) {
      entry.status = next
      entry.statusChanged = true
    }
    if (t.outcome) this.#outcomes.push({ orderId, outcome: t.outcome, failureReason: entry.saga.failureReason, startedAt: entry.saga.createdAt })
    return t
  }

  /**
   * A timeline entry that is not a saga step (a shipment's progress, a cancel request). `before`,
   * a {@link timelineMark} taken earlier, puts it ahead of the entries written since: entries of
   * the same millisecond are shown in the order they were written, and a cause comes before the
   * steps it caused.
   */
  note(orderId: string, type: string, at: Date, detail: string | null = null, eventId: string | null = null, before?: number): void {
    const row = { order_id: orderId, type, at: at.toISOString(), detail, event_id: eventId }
    if (before === undefined) this.#timeline.push(row)
    else this.#timeline.splice(before, 0, row)
  }

  /** Where the timeline stands now, for a later {@link note} that must come before what follows. */
  timelineMark(): number {
    return this.#timeline.length
  }

  writes(): SagaWrites {
    const changed = [...this.#loaded.values()]
    return {
      sagas: changed.filter((e) => e.changed).map((e) => toColumns(e.saga)),
      orders: changed
        .filter((e) => e.statusChanged)
        .map((e) => {
          const failure = failureOf(e.saga)
          return { id: e.saga.orderId, status: e.status, failure_reason: failure?.reason ?? null, failure_message: failure?.message ?? null }
        }),
      timeline: this.#timeline,
      outbox: this.#outbox,
      outcomes: this.#outcomes,
      stateExits: this.#stateExits,
    }
  }

  #record(saga: Saga, send: readonly Outgoing[], now: Date, cause: Cause): void {
    const events = toEvents(saga.orderId, send, now)
    for (const event of events) {
      const entry = timelineOf(event)
      if (entry) this.note(saga.orderId, entry.type, now, entry.detail ?? null, cause.event?.id ?? null)
    }
    const published = events.filter((e) => !TIMELINE_ONLY.has(e.type))
    if (published.length > 0) this.#outbox.push(...outboxRows(published, cause.traceContext ? { traceContext: cause.traceContext } : {}))
  }
}

/** The timeline entry a saga message stands for. */
function timelineOf(event: CloudEvent): { type: string; detail?: string } | undefined {
  if (isEventOf(OrderProgressed, event)) return { type: event.data.step, ...(event.data.detail ? { detail: event.data.detail } : {}) }
  if (isEventOf(OrderConfirmed, event)) return { type: 'CONFIRMED' }
  if (isEventOf(OrderFailed, event)) return { type: 'FAILED', detail: event.data.message }
  if (isEventOf(OrderCancelled, event)) return { type: 'CANCELLED', ...(event.data.reason ? { detail: event.data.reason } : {}) }
  if (isEventOf(OrderCancelRefused, event)) return { type: 'CANCEL_REFUSED', detail: event.data.message }
  return undefined
}
