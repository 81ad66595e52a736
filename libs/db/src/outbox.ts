import { context, propagation } from '@opentelemetry/api'
import type { EntityManager } from '@mikro-orm/core'
import { assertEvent, type CloudEvent } from '@orderflow/contracts'
import { OutboxMessage } from './outbox.entity.js'

/** One claimed outbox row, as the relay hands it to `publish`. */
export interface OutboxRecord {
  /** The event id; publish it as `Nats-Msg-Id` so JetStream drops a re-published copy. */
  readonly id: string
  /** Insertion order (a bigint, as a string). */
  readonly seq: string
  /** NATS subject to publish on. */
  readonly subject: string
  /** CloudEvents type. */
  readonly type: string
  /** The event to publish. */
  readonly event: CloudEvent
  /** Trace context captured at enqueue time (`traceparent`, `tracestate`); send as message headers. */
  readonly headers: Readonly<Record<string, string>>
  /** Publish attempts including this one. */
  readonly attempts: number
  readonly createdAt: Date
}

export interface EnqueueOptions {
  /**
   * The NATS subject of each event.
   * @default the subject the event's definition in `@orderflow/contracts` declares
   */
  subjectOf?: (event: CloudEvent) => string
  /**
   * The trace context to send with the events, as `captureTraceContext()` returned it earlier.
   * For work that runs outside the request or message that caused it (a scheduler, a sweep):
   * its events then continue that trace rather than start none.
   * @default the active OpenTelemetry context
   */
  traceContext?: Readonly<Record<string, string>> | null
}

/**
 * The active trace context as `traceparent`/`tracestate` headers: store it with work done later,
 * and hand it to `enqueueEvents` then.
 */
export function captureTraceContext(): Record<string, string> {
  const headers: Record<string, string> = {}
  propagation.inject(context.active(), headers)
  return headers
}

/** One outbox row as it is inserted: what {@link enqueueEvents} creates, for code that writes its own SQL. */
export interface OutboxRow {
  readonly id: string
  readonly subject: string
  readonly type: string
  readonly payload: CloudEvent
  readonly headers: Record<string, string>
}

/**
 * The outbox rows for `events`: each checked against its contract (throws
 * `ContractViolationError` from `@orderflow/contracts`), with its subject and the trace context
 * to send (see {@link EnqueueOptions}). Insert them in the transaction of the change they report.
 */
export function outboxRows(events: readonly CloudEvent[], options: EnqueueOptions = {}): OutboxRow[] {
  const checked = events.map((event) => assertEvent(event))
  const headers = options.traceContext ? { ...options.traceContext } : captureTraceContext()
  return checked.map(({ event, definition }) => ({
    id: event.id,
    subject: options.subjectOf ? options.subjectOf(event) : definition.subject,
    type: event.type,
    payload: event,
    headers: { ...headers },
  }))
}

/**
 * Adds events to the outbox through the caller's EntityManager: they are inserted by the caller's
 * next flush, in its transaction, so the state change and its events commit (or roll back)
 * together. Returns the rows: hand them to `OutboxPublisher.publishCommitted` once the
 * transaction has committed (the relay's sweep publishes them only seconds later).
 *
 * Each event is checked against its contract here, before anything commits: an event that breaks
 * its contract could never be published, and would otherwise sit in the outbox failing forever.
 * Throws `ContractViolationError` (from `@orderflow/contracts`) for such an event.
 *
 * The active OpenTelemetry context is captured as headers, so the trace continues from the
 * request that caused the event to every consumer of it.
 */
export function enqueueEvents(em: EntityManager, events: readonly CloudEvent[], options: EnqueueOptions = {}): OutboxRow[] {
  const rows = outboxRows(events, options)
  for (const row of rows) em.create(OutboxMessage, row)
  return rows
}
