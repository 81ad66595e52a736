import type { DeadLetter } from './dead-letter-headers.js'

/** A dead letter as JSON for operators (the HTTP API and the CLI show the same thing). */
export interface DeadLetterView {
  seq: number
  time: string
  reason: string
  error: string
  origin: { subject: string; stream: string; seq: number; consumer: string; deliveries: number }
  eventId: string | null
  /** The CloudEvents type when the body is one. */
  type: string | null
  /** The body: parsed JSON when it is JSON, else base64 (with `encoding`). */
  body?: unknown
  encoding?: 'json' | 'base64'
  headers?: Readonly<Record<string, string>>
  /** The original was gone from its stream (limits) when it was copied; there is no body. */
  missing: boolean
}

const decoder = new TextDecoder('utf-8', { fatal: true })

function parseBody(data: Uint8Array): { value: unknown; encoding: 'json' | 'base64' } {
  try {
    return { value: JSON.parse(decoder.decode(data)) as unknown, encoding: 'json' }
  } catch {
    return { value: Buffer.from(data).toString('base64'), encoding: 'base64' }
  }
}

/** The summary of a dead letter, or with `full` its body and headers too. */
export function deadLetterView(dl: DeadLetter, opts: { full?: boolean } = {}): DeadLetterView {
  const body = parseBody(dl.data)
  const type = body.encoding === 'json' && typeof body.value === 'object' && body.value !== null && 'type' in body.value ? String(body.value.type) : null
  return {
    seq: dl.seq,
    time: dl.time.toISOString(),
    reason: dl.reason,
    error: dl.error,
    origin: { ...dl.origin },
    eventId: dl.eventId ?? null,
    type,
    missing: dl.missing,
    ...(opts.full ? { body: body.value, encoding: body.encoding, headers: dl.headers } : {}),
  }
}
