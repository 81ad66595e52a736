import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node'
import { Registry } from 'prom-client'
import type { Bus } from './bus.js'
import {
  decodeDeadLetter,
  encodeDeadLetterHeaders,
  REPLAY_OF_HEADER,
  type DeadLetter,
  type DeadLetterOrigin,
  type DeadLetterReason,
} from './dead-letter-headers.js'
import { DeadLetterNotFoundError } from './messaging.errors.js'
import { cachedProbe, messagingMetrics } from './messaging.metrics.js'
import { DEAD_LETTER_DEFAULTS } from './specs.js'

export interface DeadLettersOptions {
  /** The dead-letter stream. @default 'DLQ' */
  readonly stream?: string
  /** Dead letters go to `<subjectPrefix>.<stream>.<consumer>`. @default 'dlq' */
  readonly subjectPrefix?: string
  /** Where `messaging_dead_letters` is registered. @default a new, private Registry */
  readonly registry?: Registry
  /** Last errors remembered for the advisory copier (oldest forgotten first). @default 10_000 */
  readonly rememberedFailures?: number
}

/** A message to dead-letter, with its origin. */
export interface DeadLetterRecord {
  readonly reason: DeadLetterReason
  readonly origin: DeadLetterOrigin
  readonly error: string
  readonly data: Uint8Array
  readonly headers?: MsgHdrs | undefined
  /** The original was gone from its stream; `data` is empty. @default false */
  readonly missing?: boolean
}

/** Identifies one message as one consumer sees it. */
export interface DeliveryKey {
  readonly stream: string
  readonly seq: number
  readonly consumer: string
}

export interface DeadLetterListOptions {
  /** Most dead letters returned, 1 to 1000. @default 50 */
  readonly limit?: number
  /** Only dead letters after this sequence: pass the last `seq` of the previous page. @default 0 */
  readonly afterSeq?: number
}

export interface ReplayResult {
  /** The original subject it was published to again. */
  readonly subject: string
  readonly stream: string
  readonly seq: number
  /** The same dead letter was replayed moments ago; nothing new was stored. */
  readonly duplicate: boolean
  readonly eventId: string | undefined
}

/** The dead-letter stream: written by consumers and the copier, read and managed by operators. */
export interface DeadLetters {
  readonly stream: string
  readonly subjectPrefix: string
  /**
   * Stores a dead letter with `Nats-Msg-Id` = `<stream>:<seq>:<consumer>`, so the runner and
   * the advisory copier recording the same message leave one copy (`duplicate: true` for the second).
   */
  record(dl: DeadLetterRecord): Promise<{ seq: number; duplicate: boolean }>
  /** Keeps the last error of a delivery for the copier, which only learns stream and sequence. */
  rememberFailure(key: DeliveryKey, error: unknown): void
  forgetFailure(key: DeliveryKey): void
  lastFailure(key: DeliveryKey): string | undefined
  /** Oldest first. */
  list(opts?: DeadLetterListOptions): Promise<DeadLetter[]>
  get(seq: number): Promise<DeadLetter | null>
  /**
   * Publishes the original body and headers to the original subject, then removes the dead
   * letter. The body keeps the event id, so consumers' inboxes still deduplicate; `Nats-Msg-Id`
   * is `replay:<dlq stream>:<seq>` instead of the event id, because the event id may still be in
   * the origin stream's duplicate window and JetStream would drop the replay. Replaying the
   * same dead letter twice within that window stores it once.
   */
  replay(seq: number): Promise<ReplayResult>
  /** Removes one dead letter (1, or 0 when there is none) or, without `seq`, all of them. */
  purge(seq?: number): Promise<number>
  /** Dead letters currently stored. */
  depth(): Promise<number>
  /** Stops reporting `messaging_dead_letters`. */
  close(): void
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}

export function createDeadLetters(bus: Bus, opts: DeadLettersOptions = {}): DeadLetters {
  const stream = opts.stream ?? DEAD_LETTER_DEFAULTS.stream
  const prefix = opts.subjectPrefix ?? DEAD_LETTER_DEFAULTS.subjectPrefix
  const capacity = opts.rememberedFailures ?? 10_000
  const failures = new Map<string, string>()
  const keyOf = (k: DeliveryKey) => `${k.stream}:${k.seq}:${k.consumer}`
  const ours = (subject: string) => subject.startsWith(`${prefix}.`)

  const get = async (seq: number): Promise<DeadLetter | null> => {
    const m = await bus.jsm.streams.getMessage(stream, { seq })
    return m && ours(m.subject) ? (decodeDeadLetter(m) ?? null) : null
  }
  const depth = async () => (await bus.jsm.streams.info(stream)).state.messages
  const metrics = messagingMetrics(opts.registry ?? new Registry())
  const unwatch = metrics.watchDeadLetters(stream, cachedProbe(depth))

  return {
    stream,
    subjectPrefix: prefix,
    async record(dl) {
      const h = encodeDeadLetterHeaders(keyOf(dl.origin), dl.reason, dl.origin, dl.error, dl.headers, dl.missing ?? false)
      const ack = await bus.js.publish(`${prefix}.${dl.origin.stream}.${dl.origin.consumer}`, dl.data, { headers: h })
      failures.delete(keyOf(dl.origin))
      if (!ack.duplicate) metrics.deadLettered.inc({ consumer: dl.origin.consumer, reason: dl.reason })
      return { seq: ack.seq, duplicate: ack.duplicate }
    },
    rememberFailure(key, error) {
      const k = keyOf(key)
      failures.delete(k)
      failures.set(k, describeError(error))
      // A Map iterates in insertion order: the first key is the oldest.
      if (failures.size > capacity) failures.delete(failures.keys().next().value ?? k)
    },
    forgetFailure: (key) => void failures.delete(keyOf(key)),
    lastFailure: (key) => failures.get(keyOf(key)),
    async list(o = {}) {
      const limit = Math.min(Math.max(Math.trunc(o.limit ?? 50), 1), 1_000)
      const out: DeadLetter[] = []
      let cursor = Math.max(Math.trunc(o.afterSeq ?? 0), 0) + 1
      while (out.length < limit) {
        // next_by_subj skips the gaps replays and purges leave, one request per dead letter.
        const m = await bus.jsm.direct.getMessage(stream, { seq: cursor, next_by_subj: `${prefix}.>` })
        if (!m) break
        const dl = decodeDeadLetter(m)
        if (dl) out.push(dl)
        cursor = m.seq + 1
      }
      return out
    },
    get,
    async replay(seq) {
      const dl = await get(seq)
      if (!dl) throw new DeadLetterNotFoundError(stream, seq)
      const h = natsHeaders()
      // First in the block, for the reason given in encodeDeadLetterHeaders.
      h.set('Nats-Msg-Id', `replay:${stream}:${seq}`)
      for (const [k, v] of Object.entries(dl.headers)) {
        // Nats-* are instructions to JetStream (msg id, expected sequence) that applied to the
        // first publish, not to this one.
        if (!k.toLowerCase().startsWith('nats-')) h.set(k, v)
      }
      h.set(REPLAY_OF_HEADER, `${stream}:${seq}`)
      const ack = await bus.js.publish(dl.origin.subject, dl.data, { headers: h })
      await bus.jsm.streams.deleteMessage(stream, seq, false)
      return { subject: dl.origin.subject, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, eventId: dl.eventId }
    },
    async purge(seq) {
      if (seq === undefined) return (await bus.jsm.streams.purge(stream, { filter: `${prefix}.>` })).purged
      // Read first: deleting a missing sequence fails with a generic "delete failed" code.
      if (!(await get(seq))) return 0
      return (await bus.jsm.streams.deleteMessage(stream, seq, false)) ? 1 : 0
    },
    depth,
    close: unwatch,
  }
}
