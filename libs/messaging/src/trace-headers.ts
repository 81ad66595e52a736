import { trace, type TextMapGetter, type TextMapSetter, type Tracer } from '@opentelemetry/api'
import { Match, type MsgHdrs } from '@nats-io/transport-node'

/** The tracer of this library; a no-op until the process installs an OpenTelemetry SDK. */
export function messagingTracer(): Tracer {
  return trace.getTracer('@orderflow/messaging')
}

/** Reads W3C trace headers from a NATS message; names are matched case-insensitively. */
export const natsHeaderGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => h?.keys() ?? [],
  get: (h, key) => (h?.has(key, Match.IgnoreCase) ? h.get(key, Match.IgnoreCase) : undefined),
}

/** Writes W3C trace headers into NATS headers, replacing any spelling of the name already there. */
export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set: (h, key, value) => h.set(key, value, Match.IgnoreCase),
}

/** Reads trace headers from a plain record (what callers of the publisher pass). */
export const recordGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (r) => Object.keys(r),
  get: (r, key) => {
    const lower = key.toLowerCase()
    const found = Object.keys(r).find((k) => k.toLowerCase() === lower)
    return found === undefined ? undefined : r[found]
  },
}

/** First value of every header, for handlers and logs. */
export function headersToRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of h?.keys() ?? []) out[key] = h?.get(key) ?? ''
  return out
}
