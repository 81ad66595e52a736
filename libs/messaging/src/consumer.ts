import type { CloudEvent } from '@orderflow/contracts'
import type { ConsumerSpec } from './specs.js'

/** One event of a batch, with what the consumer knows of its delivery. */
export interface Delivery<E extends CloudEvent = CloudEvent> {
  readonly event: E
  readonly subject: string
  /** Sequence of the message in its stream. */
  readonly streamSeq: number
  /** 1 on the first delivery. */
  readonly deliveryCount: number
  /**
   * The trace context (`traceparent`, `tracestate`) to send with what this event causes: the
   * context of this delivery's consumer span when tracing is on, the incoming message's headers
   * as they are when it is off (so the trace still continues, at no cost).
   */
  traceContext(): Readonly<Record<string, string>>
}

/**
 * A durable consumer as a service declares it: its spec, the events it takes, and one function
 * that handles a batch of them in a transaction. The library does the rest — pulling, decoding,
 * the type guard, the inbox, the transaction, retries, ack / nak / term, dead letters, metrics.
 *
 * `handle` gets every decoded event of the batch, in delivery order, each event id once (a
 * copy delivered beside its original is settled with it; one event is a batch of one) and the transaction the library opened (for a database consumer, `@orderflow/db`'s
 * `BatchTx`: statement one records the inbox and locks, statement two writes). Resolving commits
 * and acks them all. Throwing rolls back: a batch of several is then handled again one event at
 * a time, so one bad event costs its neighbours a second pass and nothing else; a lone event that
 * throws {@link PermanentError} is dead-lettered at once, any other error retries it with the
 * spec's backoff until `maxDeliver`, then dead-letters it.
 */
export interface Consumer<E extends CloudEvent = CloudEvent, Tx = unknown> {
  readonly spec: ConsumerSpec
  /**
   * The events this consumer handles. The contract was checked where the event was made; this
   * is the type check a consumer still owes. Anything else on its subjects is dead-lettered.
   */
  readonly accepts: (event: CloudEvent) => event is E
  readonly handle: (batch: readonly Delivery<E>[], tx: Tx) => Promise<void>
}

/**
 * Opens the transaction a batch runs in, for a consumer: the service's database (inbox and
 * outbox included) in production, anything a test needs. Resolves after the commit.
 */
export type Transact<Tx> = (consumer: string, eventIds: readonly string[], work: (tx: Tx) => Promise<void>) => Promise<void>
