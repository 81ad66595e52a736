import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api'
import type { PubAck } from '@nats-io/jetstream'
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node'
import { checkEvent, ContractViolationError, type CloudEvent } from '@orderflow/contracts'
import { Registry } from 'prom-client'
import type { Bus } from './bus.js'
import { PublishError } from './messaging.errors.js'
import { messagingMetrics, type MessagingMetrics } from './messaging.metrics.js'
import { messagingTracer, natsHeaderSetter, recordGetter } from './trace-headers.js'
import { createTopology, type Topology } from './topology.js'

export interface PublisherOptions {
  /** Where `messaging_published_total` is registered. @default a new, private Registry */
  readonly registry?: Registry
  /** The namespace events are published in (the catalog's subjects are mapped into it). @default the platform's */
  readonly topology?: Topology
}

export interface PublishOptions {
  /** Overrides the subject of the event's definition (tests, special routing). @default the catalog's subject */
  readonly subject?: string
  /**
   * Extra headers. A `traceparent` here (e.g. stored with an outbox row) is the parent of the
   * producer span, instead of the active trace; the message then carries the producer span's
   * context (with tracing off, the given `traceparent` as it is). `Nats-Msg-Id` is always the
   * event id. @default none
   */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * The event was checked against its contract where it was made (every outbox row is): it is
   * not checked again. Needs `subject`. @default false
   */
  readonly checked?: boolean
}

/** One message of {@link Publisher.publishMany}. */
export interface PublishRequest extends PublishOptions {
  readonly event: CloudEvent
}

/** What happened to one message of {@link Publisher.publishMany}. */
export type PublishOutcome =
  | { readonly ok: true; readonly stream: string; readonly seq: number; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: Error }

export interface Publisher {
  /**
   * Validates the event against its contract (throws {@link ContractViolationError}, nothing is
   * sent), publishes it with `Nats-Msg-Id` = event id and waits for JetStream's ack. A publish
   * of an id seen within the stream's duplicate window is acked with `duplicate: true` and not
   * stored again. Rejects with {@link PublishError} when JetStream does not store it.
   */
  publish(event: CloudEvent, opts?: PublishOptions): Promise<PubAck>
  /**
   * Sends every message at once and then collects the acks, so n messages cost one round trip,
   * not n. Never rejects: each outcome says whether that message is stored, so a caller (the
   * outbox relay) can mark exactly the successes.
   */
  publishMany(messages: readonly PublishRequest[]): Promise<PublishOutcome[]>
}

interface Prepared {
  readonly subject: string
  readonly payload: Uint8Array
  readonly headers: MsgHdrs
  readonly event: CloudEvent
  readonly span: Span
}

const encoder = new TextEncoder()

export function createPublisher(bus: Bus, opts: PublisherOptions = {}): Publisher {
  const metrics = messagingMetrics(opts.registry ?? new Registry())
  const topology = opts.topology ?? createTopology()

  const publishOne = async (event: CloudEvent, o: PublishOptions = {}): Promise<PubAck> => {
    const prepared = prepare(event, o, topology, metrics)
    return send(bus, prepared, metrics)
  }

  return {
    publish: publishOne,
    async publishMany(messages) {
      // Each call sends its message before awaiting anything, so all of them are on the wire
      // before the first ack is awaited.
      const pending = messages.map((m) => publishOne(m.event, m))
      const settled = await Promise.allSettled(pending)
      return settled.map(
        (s): PublishOutcome =>
          s.status === 'fulfilled'
            ? { ok: true, stream: s.value.stream, seq: s.value.seq, duplicate: s.value.duplicate }
            : { ok: false, error: s.reason instanceof Error ? s.reason : new Error(String(s.reason)) },
      )
    },
  }
}

function prepare(event: CloudEvent, opts: PublishOptions, topology: Topology, metrics: MessagingMetrics): Prepared {
  const subject = opts.checked && opts.subject !== undefined ? opts.subject : checkedSubject(event, opts, topology, metrics)
  const h = natsHeaders()
  // Set here, first in the block, rather than through the client's msgID option (which appends
  // it last): nats-server 2.9 finds a header by the first occurrence of its name anywhere, so a
  // caller's header merely containing "Nats-Msg-Id" placed before it would disable the dedupe.
  h.set('Nats-Msg-Id', event.id)
  const given = opts.headers ?? {}
  for (const [k, v] of Object.entries(given)) if (k.toLowerCase() !== 'nats-msg-id') h.set(k, v)
  // An outbox row carries the trace of the change that wrote it; the publish happens later,
  // outside that context.
  const carried = recordGetter.get(given, 'traceparent') !== undefined
  const parent = carried ? propagation.extract(context.active(), given, recordGetter) : context.active()
  const span = messagingTracer().startSpan(
    `publish ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.name': 'publish',
        'messaging.operation.type': 'send',
        'messaging.destination.name': subject,
        'messaging.message.id': event.id,
        'cloudevents.event_type': event.type,
        'cloudevents.event_subject': event.subject,
      },
    },
    parent,
  )
  // The producer span, not the one that wrote the row, is the consumer span's parent (the
  // messaging conventions): it replaces a carried traceparent. With tracing off nothing is
  // injected and a carried one goes on as it is.
  propagation.inject(trace.setSpan(parent, span), h, natsHeaderSetter)
  return { subject, payload: encoder.encode(JSON.stringify(event)), headers: h, event, span }
}

function checkedSubject(event: CloudEvent, opts: PublishOptions, topology: Topology, metrics: MessagingMetrics): string {
  const check = checkEvent(event)
  if (!check.ok) {
    metrics.published.inc({ outcome: 'invalid' })
    throw new ContractViolationError(check.issues)
  }
  return opts.subject ?? topology.subject(check.definition.subject)
}

async function send(bus: Bus, p: Prepared, metrics: MessagingMetrics): Promise<PubAck> {
  try {
    const ack = await bus.js.publish(p.subject, p.payload, { headers: p.headers })
    metrics.published.inc({ outcome: ack.duplicate ? 'duplicate' : 'stored' })
    p.span.setAttribute('messaging.nats.stream_sequence', ack.seq)
    return ack
  } catch (err) {
    metrics.published.inc({ outcome: 'failed' })
    p.span.recordException(err instanceof Error ? err : String(err))
    p.span.setStatus({ code: SpanStatusCode.ERROR })
    throw new PublishError(p.subject, p.event.id, { cause: err })
  } finally {
    p.span.end()
  }
}
