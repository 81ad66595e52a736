import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api'
import type { JsMsg } from '@nats-io/jetstream'
import { checkEvent, type CloudEvent } from '@orderflow/contracts'
import type { Logger } from 'pino'
import type { Consumer, Delivery, Transact } from './consumer.js'
import type { DeadLetterReason } from './dead-letter-headers.js'
import { describeError, type DeadLetters } from './dead-letters.js'
import { PermanentError } from './messaging.errors.js'
import type { MessagingMetrics } from './messaging.metrics.js'
import { retryDelayMs, type ResolvedConsumerSpec } from './specs.js'
import { messagingTracer, natsHeaderGetter } from './trace-headers.js'

export interface SettleDeps<Tx> {
  readonly spec: ResolvedConsumerSpec
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event type is the consumer's own business
  readonly consumer: Consumer<any, Tx>
  readonly transact: Transact<Tx>
  readonly logger: Logger
  readonly deadLetters: DeadLetters
  readonly metrics: MessagingMetrics
}

type Outcome = 'acked' | 'retried' | 'terminated'

interface Received {
  readonly msg: JsMsg
  readonly delivery: TracedDelivery
}

const decoder = new TextDecoder()
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The envelope fields the library itself relies on (the id for the inbox, the subject for logs);
 * the rest of the contract was checked where the event was made.
 */
function decode(msg: JsMsg): { ok: true; event: CloudEvent } | { ok: false; error: string } {
  let body: unknown
  try {
    body = JSON.parse(decoder.decode(msg.data))
  } catch (err) {
    return { ok: false, error: `body is not JSON: ${describeError(err)}` }
  }
  const e = body as Partial<CloudEvent> | null
  if (typeof e !== 'object' || e === null) return { ok: false, error: 'body is not a CloudEvent object' }
  if (typeof e.id !== 'string' || !UUID.test(e.id)) return { ok: false, error: 'contract violation: id must be a UUID' }
  if (typeof e.type !== 'string' || typeof e.subject !== 'string' || typeof e.data !== 'object' || e.data === null) {
    return { ok: false, error: 'contract violation: type, subject and data are required' }
  }
  return { ok: true, event: e as CloudEvent }
}

/**
 * Settles a batch of messages: the undecodable and the ones the consumer does not accept are
 * dead-lettered at once; the rest are handled together in one transaction and acked, or — when
 * that fails — one at a time, each acked, retried or dead-lettered on its own. Does not throw.
 */
export async function settleBatch<Tx>(msgs: readonly JsMsg[], deps: SettleDeps<Tx>): Promise<void> {
  const started = performance.now()
  const accepted: Received[] = []
  // A second message with an event id already in the batch (a re-publish that outlived the
  // duplicate window): the inbox cannot tell the two apart inside one transaction (`isNew` is
  // true for both), so it is never handed over with its first. It is acked with the batch, or
  // handled alone after its first, when the inbox knows it.
  const repeats: Received[] = []
  const ids = new Set<string>()
  const rejected: Promise<void>[] = []
  for (const msg of msgs) {
    const decoded = decode(msg)
    const error = decoded.ok ? refusal(decoded.event, deps) : decoded.error
    if (decoded.ok && error === undefined) {
      const received = { msg, delivery: new TracedDelivery(msg, decoded.event) }
      const id = decoded.event.id.toLowerCase()
      if (ids.has(id)) repeats.push(received)
      else accepted.push(received)
      ids.add(id)
    } else {
      deps.logger.warn({ subject: msg.subject, seq: msg.seq, error }, 'message dead-lettered: the consumer cannot handle it')
      rejected.push(deadLetter(msg, deps, 'invalid', error ?? 'invalid').then((outcome) => count(msg, deps, outcome, started)))
    }
  }
  if (accepted.length > 1) {
    try {
      await handle(accepted, deps)
      deps.metrics.batchSize.observe({ consumer: deps.spec.durable }, accepted.length)
      for (const r of [...accepted, ...repeats]) ack(r, deps, started)
    } catch (err) {
      deps.logger.debug({ err, size: accepted.length }, 'batch failed; handling its events one by one')
      // Alone, a repeat runs after its first: the inbox then knows it.
      for (const r of [...accepted, ...repeats]) await settleAlone(r, deps, started)
    }
  } else if (accepted[0]) {
    for (const r of [accepted[0], ...repeats]) await settleAlone(r, deps, started)
  }
  await Promise.all(rejected)
}

function refusal<Tx>(event: CloudEvent, deps: SettleDeps<Tx>): string | undefined {
  const accepts: (event: CloudEvent) => boolean = deps.consumer.accepts
  return accepts(event) ? undefined : `${deps.spec.durable} does not handle ${event.type}`
}

async function handle<Tx>(batch: readonly Received[], deps: SettleDeps<Tx>): Promise<void> {
  const deliveries = batch.map((r) => r.delivery)
  const contexts = deliveries.map((d) => d.begin())
  const single = contexts.length === 1 ? contexts[0] : undefined
  const run = () =>
    deps.transact(
      deps.spec.durable,
      deliveries.map((d) => d.event.id),
      (tx) => deps.consumer.handle(deliveries, tx),
    )
  try {
    // One event is handled inside its consumer span, so what the handler logs (and its commit
    // callbacks) carries the event's trace; a batch of several belongs to no one trace.
    await (single ? context.with(single, run) : run())
    for (const d of deliveries) d.end()
  } catch (err) {
    for (const d of deliveries) d.end(err)
    throw err
  }
}

function ack<Tx>(r: Received, deps: SettleDeps<Tx>, started: number): void {
  r.msg.ack()
  deps.deadLetters.forgetFailure(deliveryKey(r.msg, deps))
  count(r.msg, deps, 'acked', started)
}

async function settleAlone<Tx>(r: Received, deps: SettleDeps<Tx>, started: number): Promise<void> {
  let outcome: Outcome
  try {
    await handle([r], deps)
    return ack(r, deps, started)
  } catch (err) {
    // The lines about the failure carry the event's trace, as the handler's own did.
    outcome = await context.with(r.delivery.lastContext(), () => settleFailure(r, err, deps))
  }
  count(r.msg, deps, outcome, started)
}

async function settleFailure<Tx>(r: Received, err: unknown, deps: SettleDeps<Tx>): Promise<Outcome> {
  const { msg } = r
  const deliveries = msg.info.deliveryCount
  const log = deps.logger.child({ event_id: r.delivery.event.id, event_type: r.delivery.event.type, order_id: r.delivery.event.subject, delivery: deliveries })
  const exhausted = deps.spec.maxDeliver > 0 && deliveries >= deps.spec.maxDeliver
  const violation = contractViolation(r.delivery.event)
  if (violation !== undefined) {
    log.warn({ err, violation }, 'handler failed on an event that breaks its contract; dead-lettered')
    return deadLetter(msg, deps, 'invalid', `${violation} (handler: ${describeError(err)})`)
  }
  if (err instanceof PermanentError || exhausted) {
    log.warn({ err, deliveries }, err instanceof PermanentError ? 'permanent failure; dead-lettered' : 'deliveries exhausted; dead-lettered')
    return deadLetter(msg, deps, err instanceof PermanentError ? 'permanent' : 'max_deliveries', describeError(err))
  }
  const delay = retryDelayMs(deps.spec, deliveries)
  deps.deadLetters.rememberFailure(deliveryKey(msg, deps), err)
  msg.nak(delay)
  log.warn({ err, deliveries, retryInMs: delay }, 'handler failed; will retry')
  return 'retried'
}

/**
 * Why an event breaks its contract, or `undefined` when it keeps it. Asked only of an event whose
 * handler failed: consumers trust what producers checked ("validate once"), so a message that
 * was never checked — published by hand, by a foreign or broken producer — shows up as a failing
 * handler. Retrying it cannot help: it is dead-lettered at once instead of after every backoff.
 */
function contractViolation(event: CloudEvent): string | undefined {
  const checked = checkEvent(event)
  return checked.ok ? undefined : `contract violation: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
}

const deliveryKey = <Tx>(msg: JsMsg, deps: SettleDeps<Tx>) => ({ stream: msg.info.stream, seq: msg.seq, consumer: deps.spec.durable })

function count<Tx>(msg: JsMsg, deps: SettleDeps<Tx>, outcome: Outcome, started: number): void {
  const consumer = deps.spec.durable
  if (msg.info.deliveryCount > 1) deps.metrics.redeliveries.inc({ consumer })
  deps.metrics.consumerMessages.inc({ consumer, outcome })
  deps.metrics.processingSeconds.observe({ consumer }, (performance.now() - started) / 1000)
}

/**
 * Records the dead letter first and terminates after, so a message is never lost: when the DLQ
 * cannot be written, the message is nak'd instead and comes back (or, after its last delivery,
 * raises the MAX_DELIVERIES advisory the copier acts on).
 */
async function deadLetter<Tx>(msg: JsMsg, deps: SettleDeps<Tx>, reason: DeadLetterReason, error: string): Promise<Outcome> {
  const origin = { subject: msg.subject, stream: msg.info.stream, seq: msg.seq, consumer: deps.spec.durable, deliveries: msg.info.deliveryCount }
  try {
    await deps.deadLetters.record({ reason, origin, error, data: msg.data, headers: msg.headers })
    // No reason argument: before 2.11 the server does not parse "+TERM <reason>" and treats it
    // as a plain nak, redelivering the message. The reason is in the dead letter instead.
    msg.term()
    return 'terminated'
  } catch (err) {
    deps.deadLetters.rememberFailure(origin, error)
    deps.logger.error({ err, seq: msg.seq }, 'cannot write the dead letter; the message will be redelivered')
    msg.nak(retryDelayMs(deps.spec, msg.info.deliveryCount))
    return 'retried'
  }
}

/**
 * A delivery and its consumer span: one span per handling of the event (a batch, or the event
 * alone after its batch failed), a child of the producer span whose context the message carries,
 * started when the handling starts and ended with its outcome. With tracing off the span is a
 * no-op and `traceContext()` copies the two W3C headers the message came with.
 */
class TracedDelivery implements Delivery {
  readonly subject: string
  readonly streamSeq: number
  readonly deliveryCount: number
  /** The handling under way: the context it runs in, its span when recorded, the headers asked for. */
  #handling: { context: Context; span: Span | undefined; headers?: Record<string, string> } | undefined
  #last: Context = ROOT_CONTEXT

  constructor(
    private readonly msg: JsMsg,
    readonly event: CloudEvent,
  ) {
    this.subject = msg.subject
    this.streamSeq = msg.seq
    this.deliveryCount = msg.info.deliveryCount
  }

  /** Starts the consumer span of this handling, once; returns the context to handle the event in. */
  begin(): Context {
    if (this.#handling) return this.#handling.context
    // The message's trace context is the only parent the span may have, whatever is active here.
    const parent = propagation.extract(ROOT_CONTEXT, this.msg.headers, natsHeaderGetter)
    const span = messagingTracer().startSpan(`process ${this.msg.subject}`, spanOptions(this.msg, this.event), parent)
    const recorded = span.isRecording()
    if (!recorded) span.end()
    this.#handling = { context: recorded ? trace.setSpan(parent, span) : parent, span: recorded ? span : undefined }
    this.#last = this.#handling.context
    return this.#last
  }

  /** The context of the latest handling, also once it ended: for the lines logged about its outcome. */
  lastContext(): Context {
    return this.#last
  }

  traceContext(): Readonly<Record<string, string>> {
    const handling = this.#handling
    if (handling?.headers) return handling.headers
    const headers: Record<string, string> = {}
    // Asked outside a handling (kept for later), it is the latest handling's context.
    propagation.inject(handling?.context ?? this.#last, headers)
    // With tracing off nothing was injected: the headers the message came with go on.
    if (Object.keys(headers).length === 0) copyTraceHeaders(this.msg, headers)
    if (handling) handling.headers = headers
    return headers
  }

  /** Ends the consumer span, if one was recorded, with the handling's outcome. */
  end(err?: unknown): void {
    const span = this.#handling?.span
    this.#handling = undefined
    if (!span) return
    if (err !== undefined) {
      span.recordException(err instanceof Error ? err : describeError(err))
      span.setStatus({ code: SpanStatusCode.ERROR })
    }
    span.end()
  }
}

function copyTraceHeaders(msg: JsMsg, out: Record<string, string>): void {
  for (const name of ['traceparent', 'tracestate']) {
    const value = natsHeaderGetter.get(msg.headers, name)
    if (typeof value === 'string') out[name] = value
  }
}

function spanOptions(msg: JsMsg, event: CloudEvent) {
  return {
    kind: SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'nats',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': msg.subject,
      'messaging.consumer.group.name': msg.info.consumer,
      'messaging.message.id': event.id,
      'messaging.nats.stream_sequence': msg.seq,
      'messaging.nats.delivery_count': msg.info.deliveryCount,
      'cloudevents.event_type': event.type,
      'cloudevents.event_subject': event.subject,
    },
  }
}
