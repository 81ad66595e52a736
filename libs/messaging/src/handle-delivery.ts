import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { JsMsg } from '@nats-io/jetstream'
import { checkEvent, type CloudEvent } from '@orderflow/contracts'
import type { Logger } from 'pino'
import type { DeadLetterReason } from './dead-letter-headers.js'
import { describeError, type DeadLetters } from './dead-letters.js'
import { PermanentError } from './messaging.errors.js'
import type { MessagingMetrics } from './messaging.metrics.js'
import { retryDelayMs, type ResolvedConsumerSpec } from './specs.js'
import { headersToRecord, messagingTracer, natsHeaderGetter } from './trace-headers.js'

/** What a handler knows about the delivery besides the event. */
export interface HandlerContext {
  /** 1 on the first delivery. */
  readonly deliveryCount: number
  readonly subject: string
  /** Sequence of the message in its stream. */
  readonly streamSeq: number
  readonly headers: Readonly<Record<string, string>>
  /** The runner's logger with the event's id, type and order id. */
  readonly logger: Logger
}

/**
 * Handles one event. Returning acks it; throwing {@link PermanentError} dead-letters it at
 * once; throwing anything else retries it after the consumer's backoff, until `maxDeliver`.
 */
export type EventHandler = (event: CloudEvent, ctx: HandlerContext) => Promise<void>

/** One event of a batch. */
export interface BatchDelivery {
  readonly event: CloudEvent
  readonly context: HandlerContext
  /**
   * Runs `fn` in this delivery's consumer span, which continues the publisher's trace: wrap the
   * event's own work in it, so what it enqueues carries the event's trace and not a neighbour's.
   */
  readonly traced: <T>(fn: () => Promise<T>) => Promise<T>
}

/**
 * Handles several events at once, all or nothing — typically in one transaction. Resolving acks
 * every one of them. Throwing changes nothing (the transaction rolled back): each event then
 * goes through the consumer's {@link EventHandler} on its own, which settles it as usual (ack,
 * retry, dead letter), so one bad event costs its batch a second pass but nothing else.
 */
export type BatchHandler = (deliveries: readonly BatchDelivery[]) => Promise<void>

export interface DeliveryDeps {
  readonly spec: ResolvedConsumerSpec
  readonly handler: EventHandler
  /** Takes messages two or more at a time when set; see {@link BatchHandler}. */
  readonly batchHandler?: BatchHandler | undefined
  readonly logger: Logger
  readonly deadLetters: DeadLetters
  readonly metrics: MessagingMetrics
}

type Decoded = { ok: true; event: CloudEvent } | { ok: false; error: string }

const decoder = new TextDecoder()

function decode(msg: JsMsg): Decoded {
  let body: unknown
  try {
    body = JSON.parse(decoder.decode(msg.data))
  } catch (err) {
    return { ok: false, error: `body is not JSON: ${describeError(err)}` }
  }
  const check = checkEvent(body)
  if (!check.ok) return { ok: false, error: `contract violation: ${check.issues.map((i) => `${i.path} ${i.message}`).join('; ')}` }
  return { ok: true, event: check.event }
}

/**
 * Settles a batch of deliveries: through the batch handler when there is one and at least two
 * valid events, else (and for invalid messages, and when the batch fails) one by one through
 * {@link handleDelivery}. Does not throw.
 */
export async function handleBatch(msgs: readonly JsMsg[], deps: DeliveryDeps): Promise<void> {
  const { batchHandler } = deps
  if (!batchHandler || msgs.length < 2) {
    await Promise.all(msgs.map((msg) => handleDelivery(msg, deps)))
    return
  }
  const valid: Array<{ msg: JsMsg; event: CloudEvent }> = []
  const oneByOne: JsMsg[] = []
  for (const msg of msgs) {
    const decoded = decode(msg)
    if (decoded.ok) valid.push({ msg, event: decoded.event })
    else oneByOne.push(msg)
  }
  if (valid.length >= 2) {
    const started = performance.now()
    try {
      await batchHandler(valid.map(({ msg, event }) => batchDelivery(msg, event, deps.logger)))
      deps.metrics.batchSize.observe({ consumer: deps.spec.durable }, valid.length)
      for (const { msg } of valid) {
        msg.ack()
        deps.deadLetters.forgetFailure(deliveryKey(msg, deps))
        count(msg, deps, 'acked', started)
      }
    } catch (err) {
      deps.logger.debug({ err, size: valid.length }, 'batch failed; handling its events one by one')
      oneByOne.push(...valid.map((v) => v.msg))
    }
  } else {
    oneByOne.push(...valid.map((v) => v.msg))
  }
  await Promise.all(oneByOne.map((msg) => handleDelivery(msg, deps)))
}

function batchDelivery(msg: JsMsg, event: CloudEvent, logger: Logger): BatchDelivery {
  return { event, context: contextOf(msg, event, logger), traced: (fn) => runTraced(msg, event, fn) }
}

function contextOf(msg: JsMsg, event: CloudEvent, logger: Logger): HandlerContext {
  const deliveryCount = msg.info.deliveryCount
  return {
    deliveryCount,
    subject: msg.subject,
    streamSeq: msg.seq,
    headers: headersToRecord(msg.headers),
    logger: logger.child({ event_id: event.id, event_type: event.type, order_id: event.subject, delivery: deliveryCount }),
  }
}

const deliveryKey = (msg: JsMsg, deps: DeliveryDeps) => ({ stream: msg.info.stream, seq: msg.seq, consumer: deps.spec.durable })

/** Counts one settled delivery in the consumer metrics. */
function count(msg: JsMsg, deps: DeliveryDeps, outcome: 'acked' | 'retried' | 'terminated', started: number): void {
  const consumer = deps.spec.durable
  if (msg.info.deliveryCount > 1) deps.metrics.redeliveries.inc({ consumer })
  deps.metrics.consumerMessages.inc({ consumer, outcome })
  deps.metrics.processingSeconds.observe({ consumer }, (performance.now() - started) / 1000)
}

/** Settles one delivery: ack, nak with delay, or dead letter and term. Does not throw. */
export async function handleDelivery(msg: JsMsg, deps: DeliveryDeps): Promise<void> {
  const { spec } = deps
  const started = performance.now()
  const deliveries = msg.info.deliveryCount
  const key = deliveryKey(msg, deps)
  let outcome: 'acked' | 'retried' | 'terminated'
  const decoded = decode(msg)
  if (!decoded.ok) {
    deps.logger.warn({ subject: msg.subject, seq: msg.seq, error: decoded.error }, 'invalid message dead-lettered')
    outcome = await deadLetter(msg, deps, 'invalid', decoded.error)
  } else {
    const event = decoded.event
    const context = contextOf(msg, event, deps.logger)
    const log = context.logger
    try {
      await runTraced(msg, event, () => deps.handler(event, context))
      msg.ack()
      deps.deadLetters.forgetFailure(key)
      outcome = 'acked'
    } catch (err) {
      const exhausted = spec.maxDeliver > 0 && deliveries >= spec.maxDeliver
      if (err instanceof PermanentError || exhausted) {
        log.warn({ err, deliveries }, err instanceof PermanentError ? 'permanent failure; dead-lettered' : 'deliveries exhausted; dead-lettered')
        outcome = await deadLetter(msg, deps, err instanceof PermanentError ? 'permanent' : 'max_deliveries', describeError(err))
      } else {
        const delay = retryDelayMs(spec, deliveries)
        deps.deadLetters.rememberFailure(key, err)
        msg.nak(delay)
        log.warn({ err, deliveries, retryInMs: delay }, 'handler failed; will retry')
        outcome = 'retried'
      }
    }
  }
  count(msg, deps, outcome, started)
}

/**
 * Records the dead letter first and terminates after, so a message is never lost: when the DLQ
 * cannot be written, the message is nak'd instead and comes back (or, after its last delivery,
 * raises the MAX_DELIVERIES advisory the copier acts on).
 */
async function deadLetter(msg: JsMsg, deps: DeliveryDeps, reason: DeadLetterReason, error: string): Promise<'terminated' | 'retried'> {
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

function runTraced<T>(msg: JsMsg, event: CloudEvent, fn: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(context.active(), msg.headers, natsHeaderGetter)
  return messagingTracer().startActiveSpan(
    `${msg.subject} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.destination.name': msg.subject,
        'messaging.consumer.group.name': msg.info.consumer,
        'messaging.message.id': event.id,
        'messaging.nats.stream_sequence': msg.seq,
        'messaging.nats.delivery_count': msg.info.deliveryCount,
        'cloudevents.event_type': event.type,
        'cloudevents.event_subject': event.subject,
      },
    },
    parent,
    async (span) => {
      try {
        return await fn()
      } catch (err) {
        span.recordException(err instanceof Error ? err : String(err))
        span.setStatus({ code: SpanStatusCode.ERROR })
        throw err
      } finally {
        span.end()
      }
    },
  )
}
