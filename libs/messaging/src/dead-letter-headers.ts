import type { StoredMsg } from '@nats-io/jetstream'
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node'

/** Why a message was dead-lettered. */
export type DeadLetterReason =
  /** Not JSON, or not a valid event of a known type: no retry can fix it. */
  | 'invalid'
  /** The handler threw a PermanentError. */
  | 'permanent'
  /** Every allowed delivery failed (or the consumer died on the last one). */
  | 'max_deliveries'

/** Where a dead letter came from. */
export interface DeadLetterOrigin {
  readonly subject: string
  readonly stream: string
  /** Sequence of the original message in `stream`. */
  readonly seq: number
  readonly consumer: string
  /** Deliveries made before giving up. */
  readonly deliveries: number
}

/** A dead letter as operators see it. */
export interface DeadLetter {
  /** Sequence in the dead-letter stream: the handle for get, replay and purge. */
  readonly seq: number
  /** When it was dead-lettered. */
  readonly time: Date
  readonly reason: DeadLetterReason
  readonly origin: DeadLetterOrigin
  /** The last error, or why the message is invalid. */
  readonly error: string
  /** The original message's headers (traceparent, …). */
  readonly headers: Readonly<Record<string, string>>
  /** The original body, byte for byte. */
  readonly data: Uint8Array
  /** The CloudEvent id when the body is one. */
  readonly eventId: string | undefined
  /** True when the original message was gone from its stream when it was copied (limits). */
  readonly missing: boolean
}

const P = 'Orderflow-Dlq-'
export const DLQ_HEADERS = {
  reason: `${P}Reason`,
  subject: `${P}Subject`,
  stream: `${P}Stream`,
  seq: `${P}Seq`,
  consumer: `${P}Consumer`,
  deliveries: `${P}Deliveries`,
  error: `${P}Error`,
  missing: `${P}Missing`,
  // Original headers are kept under this prefix so JetStream does not act on them when the
  // dead letter is stored (a Nats-Msg-Id or Nats-Expected-* would).
  original: `${P}Orig-`,
} as const

/** Header set as a replayed message's marker: `<dlq stream>:<dlq seq>`. */
export const REPLAY_OF_HEADER = 'Orderflow-Replay-Of'

const MAX_ERROR_LENGTH = 1_000

/** Header values cannot hold line breaks, and an error with a huge message must not bloat the DLQ. */
export function headerSafe(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim()
  return flat.length > MAX_ERROR_LENGTH ? `${flat.slice(0, MAX_ERROR_LENGTH)}…` : flat
}

export function encodeDeadLetterHeaders(
  msgId: string,
  reason: DeadLetterReason,
  origin: DeadLetterOrigin,
  error: string,
  original: MsgHdrs | undefined,
  missing: boolean,
): MsgHdrs {
  const h = natsHeaders()
  // Nats-Msg-Id must come first: nats-server 2.9 looks a header up by the first occurrence of its
  // name anywhere in the header block, so a later "…-Orig-Nats-Msg-Id" would be found instead,
  // rejected (not at a line start) and the message stored without dedupe.
  h.set('Nats-Msg-Id', msgId)
  h.set(DLQ_HEADERS.reason, reason)
  h.set(DLQ_HEADERS.subject, origin.subject)
  h.set(DLQ_HEADERS.stream, origin.stream)
  h.set(DLQ_HEADERS.seq, String(origin.seq))
  h.set(DLQ_HEADERS.consumer, origin.consumer)
  h.set(DLQ_HEADERS.deliveries, String(origin.deliveries))
  h.set(DLQ_HEADERS.error, headerSafe(error) || 'unknown')
  if (missing) h.set(DLQ_HEADERS.missing, 'true')
  for (const key of original?.keys() ?? []) {
    for (const value of original?.values(key) ?? []) h.append(`${DLQ_HEADERS.original}${key}`, value)
  }
  return h
}

const REASONS: readonly string[] = ['invalid', 'permanent', 'max_deliveries']

/** Reads a stored dead letter back; `undefined` for a message that is not one. */
export function decodeDeadLetter(m: StoredMsg): DeadLetter | undefined {
  const h = m.header
  const reason = h?.get(DLQ_HEADERS.reason) ?? ''
  if (!REASONS.includes(reason)) return undefined
  const original: Record<string, string> = {}
  for (const key of h.keys()) {
    if (key.startsWith(DLQ_HEADERS.original)) original[key.slice(DLQ_HEADERS.original.length)] = h.get(key)
  }
  return {
    seq: m.seq,
    time: m.time,
    reason: reason as DeadLetterReason,
    origin: {
      subject: h.get(DLQ_HEADERS.subject),
      stream: h.get(DLQ_HEADERS.stream),
      seq: Number(h.get(DLQ_HEADERS.seq)),
      consumer: h.get(DLQ_HEADERS.consumer),
      deliveries: Number(h.get(DLQ_HEADERS.deliveries)),
    },
    error: h.get(DLQ_HEADERS.error),
    headers: original,
    data: m.data,
    eventId: eventIdOf(m.data),
    missing: h.get(DLQ_HEADERS.missing) === 'true',
  }
}

const decoder = new TextDecoder()

function eventIdOf(data: Uint8Array): string | undefined {
  try {
    const body: unknown = JSON.parse(decoder.decode(data))
    if (typeof body === 'object' && body !== null && 'id' in body && typeof body.id === 'string') return body.id
  } catch {
    // Not JSON: an invalid message is dead-lettered as it came.
  }
  return undefined
}
