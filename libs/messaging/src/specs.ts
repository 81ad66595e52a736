import { SpecError } from './messaging.errors.js'

/** A stream as the platform declares it; storage is always file, retention always limits. */
export interface StreamSpec {
  /** Upper case by convention, e.g. `ORDERS`. */
  readonly name: string
  /** Subjects it captures, e.g. `order.>`. */
  readonly subjects: readonly string[]
  /** Messages older than this are removed. @default 0 (no age limit) */
  readonly maxAgeMs?: number
  /**
   * How long a `Nats-Msg-Id` is remembered, so a retried publish within it is dropped as a
   * duplicate. Must not exceed `maxAgeMs` when that is set. @default 120_000
   */
  readonly duplicateWindowMs?: number
  /** Oldest messages are removed beyond this size. @default -1 (no size limit) */
  readonly maxBytes?: number
  /** Copies kept in a cluster. @default the `replicas` given to `provision` */
  readonly replicas?: number
  /** Allows reads through the direct-get API (any replica answers). @default false */
  readonly allowDirect?: boolean
  /** Shown by `nats stream info`. @default none */
  readonly description?: string
}

/**
 * A durable pull consumer with explicit acks, as the platform declares it.
 *
 * Retries are driven by the runner (`nak` with the delay from `backoffMs`), not by JetStream's
 * `backoff` setting: when `backoff` is set the server replaces `ack_wait` by `backoff[0]` (seen
 * on 2.9), which would give every handler only the first retry delay to finish before the
 * message is delivered again elsewhere. `ackWaitMs` stays the handler's time budget and the
 * redelivery delay after a crash.
 */
export interface ConsumerSpec {
  /** The stream it reads. */
  readonly stream: string
  /** `<service>-<purpose>`, e.g. `order-projector`; also the consumer's name on the server. */
  readonly durable: string
  /** Subjects delivered; an empty list delivers every subject of the stream. */
  readonly filterSubjects: readonly string[]
  /** Time a handler has before the server assumes it died and delivers the message again. @default 30_000 */
  readonly ackWaitMs?: number
  /** Deliveries before the message is dead-lettered; -1 retries for ever. @default 5 */
  readonly maxDeliver?: number
  /** Delay before the retry after the n-th failed delivery; the last step repeats. @default [1_000, 5_000, 30_000] */
  readonly backoffMs?: readonly number[]
  /** Messages delivered but not yet acked, across all replicas: the flow-control bound. @default 20 */
  readonly maxAckPending?: number
  /** Shown by `nats consumer info`. @default none */
  readonly description?: string
}

/**
 * The delivery settings for a handler that is one short transaction on a few rows (a projection,
 * a stock or shipment command): a lock or a lost race clears fast, so the first retries come
 * quickly; what still fails after the last is a bug or an outage for the dead letters.
 */
export const SHORT_TRANSACTION_DELIVERY = {
  ackWaitMs: 30_000,
  maxDeliver: 6,
  backoffMs: [500, 2_000, 10_000, 30_000],
  maxAckPending: 256,
} as const satisfies Partial<ConsumerSpec>

/** A {@link ConsumerSpec} with every default filled in. */
export type ResolvedConsumerSpec = Required<Omit<ConsumerSpec, 'description'>> & { readonly description?: string }

export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000
export const DAY_MS = 86_400_000

/** Subject prefix of JetStream's advisory that a message ran out of deliveries. */
export const MAX_DELIVERIES_ADVISORY = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES'

/** Names of the dead-letter streams; tests give unique ones so they can run side by side. */
export interface DeadLetterNames {
  /** Stream holding the dead letters. @default 'DLQ' */
  readonly stream?: string
  /** Dead letters are stored on `<subjectPrefix>.<stream>.<consumer>`. @default 'dlq' */
  readonly subjectPrefix?: string
  /** Stream capturing the MAX_DELIVERIES advisories. @default 'DLQ_ADVISORIES' */
  readonly advisoryStream?: string
  /**
   * Streams whose advisories are captured. Name them: a capture of every stream (`*`) would
   * overlap, and so clash, with the capture of any other namespace on the same server.
   * @default every stream
   */
  readonly watchedStreams?: readonly string[]
}

export const DEAD_LETTER_DEFAULTS = { stream: 'DLQ', subjectPrefix: 'dlq', advisoryStream: 'DLQ_ADVISORIES' } as const

/**
 * The dead-letter stream and the advisory-capture stream. Advisories are core NATS messages that
 * nobody stores; capturing them in a stream lets the copier catch up after a restart.
 */
export function deadLetterStreams(names: DeadLetterNames = {}): StreamSpec[] {
  const watched = names.watchedStreams ?? ['*']
  return [
    {
      name: names.stream ?? DEAD_LETTER_DEFAULTS.stream,
      subjects: [`${names.subjectPrefix ?? DEAD_LETTER_DEFAULTS.subjectPrefix}.>`],
      maxAgeMs: 30 * DAY_MS,
      // The runner and the advisory copier may both record the same dead letter under the same
      // msg id; a long window keeps that one message even when the copier was down for hours.
      duplicateWindowMs: DAY_MS,
      allowDirect: true,
      description: 'Dead letters with their origin, for operators to inspect, replay or purge',
    },
    {
      name: names.advisoryStream ?? DEAD_LETTER_DEFAULTS.advisoryStream,
      subjects: watched.map((s) => `${MAX_DELIVERIES_ADVISORY}.${s}.*`),
      maxAgeMs: 7 * DAY_MS,
      description: 'JetStream MAX_DELIVERIES advisories, copied into the DLQ by the dead-letter copier',
    },
  ]
}

const STREAM_NAME = /^[A-Za-z0-9_-]+$/
const DURABLE_NAME = /^[a-z][a-z0-9_]*-[a-z0-9][a-z0-9_-]*$/
const isPositiveInt = (n: number): boolean => Number.isInteger(n) && n > 0

export function checkStreamSpec(spec: StreamSpec): void {
  const problems: string[] = []
  if (!STREAM_NAME.test(spec.name)) problems.push('name must be letters, digits, _ or -')
  if (spec.subjects.length === 0) problems.push('at least one subject is required')
  if (spec.subjects.some((s) => s.trim() === '' || /\s/.test(s))) problems.push('subjects must be non-empty without spaces')
  const maxAge = spec.maxAgeMs ?? 0
  const window = spec.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS
  if (!Number.isInteger(maxAge) || maxAge < 0) problems.push('maxAgeMs must be an integer >= 0')
  if (!isPositiveInt(window)) problems.push('duplicateWindowMs must be a positive integer')
  if (maxAge > 0 && window > maxAge) problems.push('duplicateWindowMs must not exceed maxAgeMs')
  if (spec.maxBytes !== undefined && spec.maxBytes !== -1 && !isPositiveInt(spec.maxBytes)) problems.push('maxBytes must be positive or -1')
  if (spec.replicas !== undefined && !(isPositiveInt(spec.replicas) && spec.replicas <= 5)) problems.push('replicas must be 1 to 5')
  if (problems.length > 0) throw new SpecError(`stream ${spec.name}`, problems)
}

/** Fills the defaults in and checks the declaration; throws {@link SpecError}. */
export function resolveConsumerSpec(spec: ConsumerSpec): ResolvedConsumerSpec {
  const resolved: ResolvedConsumerSpec = {
    stream: spec.stream,
    durable: spec.durable,
    filterSubjects: spec.filterSubjects,
    ackWaitMs: spec.ackWaitMs ?? 30_000,
    maxDeliver: spec.maxDeliver ?? 5,
    backoffMs: spec.backoffMs ?? [1_000, 5_000, 30_000],
    maxAckPending: spec.maxAckPending ?? 20,
    ...(spec.description === undefined ? {} : { description: spec.description }),
  }
  const problems: string[] = []
  if (!STREAM_NAME.test(resolved.stream)) problems.push('stream must be letters, digits, _ or -')
  if (!DURABLE_NAME.test(resolved.durable)) problems.push('durable must be <service>-<purpose> in lower case')
  if (resolved.filterSubjects.some((s) => s.trim() === '' || /\s/.test(s))) problems.push('filter subjects must be non-empty without spaces')
  if (!isPositiveInt(resolved.ackWaitMs)) problems.push('ackWaitMs must be a positive integer')
  if (resolved.maxDeliver !== -1 && !isPositiveInt(resolved.maxDeliver)) problems.push('maxDeliver must be positive or -1')
  if (resolved.backoffMs.length === 0 || !resolved.backoffMs.every(isPositiveInt)) problems.push('backoffMs needs at least one positive integer step')
  if (!isPositiveInt(resolved.maxAckPending)) problems.push('maxAckPending must be a positive integer')
  if (problems.length > 0) throw new SpecError(`consumer ${spec.stream}/${spec.durable}`, problems)
  return resolved
}

/** The delay before retrying after the `deliveryCount`-th delivery failed. */
export function retryDelayMs(spec: ResolvedConsumerSpec, deliveryCount: number): number {
  const steps = spec.backoffMs
  return steps[Math.min(Math.max(deliveryCount, 1), steps.length) - 1] ?? steps[steps.length - 1] ?? 1_000
}
