import { JetStreamApiCodes, JetStreamApiError, type JsMsg, type StoredMsg } from '@nats-io/jetstream'
import { Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { Bus } from './bus.js'
import type { DeadLetters } from './dead-letters.js'
import { messagingMetrics, type MessagingMetrics } from './messaging.metrics.js'
import { provision } from './provision.js'
import {
  DEAD_LETTER_DEFAULTS,
  MAX_DELIVERIES_ADVISORY,
  resolveConsumerSpec,
  retryDelayMs,
  type ConsumerSpec,
  type ResolvedConsumerSpec,
} from './specs.js'

export interface DeadLetterCopierOptions {
  readonly bus: Bus
  readonly logger: Logger
  /** Where the copies go; pass the runners' instance so their remembered last errors are used. */
  readonly deadLetters: DeadLetters
  /** Where the copier's consumer metrics are registered. @default a new, private Registry */
  readonly registry?: Registry
  /** The stream capturing the MAX_DELIVERIES advisories. @default 'DLQ_ADVISORIES' */
  readonly advisoryStream?: string
  /** Name of the copier's durable consumer. @default 'messaging-dlq-copier' */
  readonly durable?: string
  /** Only the advisories of these streams are copied. @default every stream */
  readonly watchedStreams?: readonly string[]
  /** Advisories held (and copied) at once. @default 4 */
  readonly concurrency?: number
}

export interface DeadLetterCopier {
  /** Stops pulling and waits for the copies under way. */
  stop(): Promise<void>
}

/**
 * The copier's durable consumer on the advisory stream. It retries for ever: an advisory is
 * the only trace of a message that ran out of deliveries, so it must not be given up.
 */
export function deadLetterCopierConsumer(
  opts: Pick<DeadLetterCopierOptions, 'advisoryStream' | 'durable' | 'watchedStreams'> = {},
): ConsumerSpec {
  return {
    stream: opts.advisoryStream ?? DEAD_LETTER_DEFAULTS.advisoryStream,
    durable: opts.durable ?? 'messaging-dlq-copier',
    filterSubjects: (opts.watchedStreams ?? []).map((s) => `${MAX_DELIVERIES_ADVISORY}.${s}.*`),
    ackWaitMs: 30_000,
    maxDeliver: -1,
    backoffMs: [1_000, 5_000, 30_000],
    maxAckPending: 64,
    description: 'Copies messages that ran out of deliveries into the DLQ',
  }
}

interface MaxDeliveriesAdvisory {
  stream: string
  consumer: string
  stream_seq: number
  deliveries: number
}

function parseAdvisory(data: Uint8Array): MaxDeliveriesAdvisory | undefined {
  try {
    const a = JSON.parse(new TextDecoder().decode(data)) as Partial<MaxDeliveriesAdvisory>
    const ok = typeof a.stream === 'string' && typeof a.consumer === 'string' && Number.isInteger(a.stream_seq) && Number.isInteger(a.deliveries)
    return ok ? (a as MaxDeliveriesAdvisory) : undefined
  } catch {
    return undefined
  }
}

/**
 * Copies each message named by a MAX_DELIVERIES advisory (stream, consumer, sequence) from its
 * stream into the DLQ with its origin. Several replicas may run it: they share the durable
 * consumer, and the DLQ's msg id dedupe drops a second copy of the same message.
 */
export async function startDeadLetterCopier(opts: DeadLetterCopierOptions): Promise<DeadLetterCopier> {
  const spec = resolveConsumerSpec(deadLetterCopierConsumer(opts))
  await provision(opts.bus.jsm, { consumers: [spec] })
  const consumer = await opts.bus.js.consumers.get(spec.stream, spec.durable)
  const logger = opts.logger.child({ component: 'dlq-copier', stream: spec.stream })
  const metrics = messagingMetrics(opts.registry ?? new Registry())
  const copying = new Set<Promise<void>>()
  // Advisories are rare: each is copied as it comes, and the pull asks for a few at a time.
  const messages = await consumer.consume({
    max_messages: opts.concurrency ?? 4,
    callback: (msg) => {
      const task = copyOne(msg, { ...opts, spec, logger, metrics }).finally(() => copying.delete(task))
      copying.add(task)
    },
  })
  logger.info('dead-letter copier started')
  let stopped: Promise<void> | undefined
  return {
    stop: () =>
      (stopped ??= (async () => {
        await messages.close().catch(() => undefined)
        await Promise.all([...copying])
      })()),
  }
}

interface CopyDeps {
  readonly bus: Bus
  readonly deadLetters: DeadLetters
  readonly spec: ResolvedConsumerSpec
  readonly logger: Logger
  readonly metrics: MessagingMetrics
}

async function copyOne(msg: JsMsg, deps: CopyDeps): Promise<void> {
  const consumer = deps.spec.durable
  const advisory = parseAdvisory(msg.data)
  if (!advisory) {
    // Nothing to copy and nothing a retry could fix.
    deps.logger.error({ subject: msg.subject, seq: msg.seq }, 'unreadable MAX_DELIVERIES advisory skipped')
    msg.term()
    deps.metrics.consumerMessages.inc({ consumer, outcome: 'terminated' })
    return
  }
  const key = { stream: advisory.stream, seq: advisory.stream_seq, consumer: advisory.consumer }
  try {
    const original = await originalMessage(deps.bus, advisory)
    const lastError = deps.deadLetters.lastFailure(key)
    const { duplicate } = await deps.deadLetters.record({
      reason: 'max_deliveries',
      origin: { ...key, subject: original?.subject ?? '', deliveries: advisory.deliveries },
      error: lastError ?? (original ? 'unknown: the consumer stopped during its last delivery, or ran elsewhere; see its logs' : 'unknown'),
      data: original?.data ?? new Uint8Array(),
      headers: original?.header,
      missing: original === undefined,
    })
    msg.ack()
    deps.metrics.consumerMessages.inc({ consumer, outcome: 'acked' })
    deps.logger.info({ ...key, duplicate, missing: original === undefined }, duplicate ? 'dead letter already recorded' : 'dead letter copied')
  } catch (err) {
    const delay = retryDelayMs(deps.spec, msg.info.deliveryCount)
    msg.nak(delay)
    deps.metrics.consumerMessages.inc({ consumer, outcome: 'retried' })
    deps.logger.warn({ err, ...key, retryInMs: delay }, 'copying a dead letter failed; will retry')
  }
}

/** The message named by the advisory, or `undefined` when its stream no longer has it. */
async function originalMessage(bus: Bus, a: MaxDeliveriesAdvisory): Promise<StoredMsg | undefined> {
  try {
    return (await bus.jsm.streams.getMessage(a.stream, { seq: a.stream_seq })) ?? undefined
  } catch (err) {
    // A missing sequence answers null; a deleted stream answers this error.
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined
    throw err
  }
}
