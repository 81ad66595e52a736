import { Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { Bus } from './bus.js'
import type { DeadLetters } from './dead-letters.js'
import { handleBatch, type BatchHandler, type EventHandler } from './handle-delivery.js'
import { ProvisioningError, SpecError } from './messaging.errors.js'
import { cachedProbe, messagingMetrics } from './messaging.metrics.js'
import { startPullLoop } from './pull-loop.js'
import { resolveConsumerSpec, type ConsumerSpec } from './specs.js'

export interface RunConsumerOptions {
  readonly bus: Bus
  /** The consumer, provisioned beforehand with the same declaration. */
  readonly spec: ConsumerSpec
  readonly handler: EventHandler
  /**
   * Handles events several at a time when the consumer is behind (see {@link BatchHandler});
   * `handler` still takes single events, and every event of a batch that fails. @default none
   */
  readonly batchHandler?: BatchHandler
  /** Most events one batch takes; only with `batchHandler`. @default 32, or `maxAckPending` if smaller */
  readonly maxBatch?: number
  readonly logger: Logger
  /** Where invalid, permanently failing and exhausted messages are recorded. */
  readonly deadLetters: DeadLetters
  /** Where the consumer metrics are registered. @default a new, private Registry */
  readonly registry?: Registry
  /**
   * Handler calls (single events or batches) running at once in this process; with batches of
   * `maxBatch`, at most the spec's `maxAckPending` messages in all. @default as many as `maxAckPending` allows
   */
  readonly concurrency?: number
  /**
   * How long one pull request waits for messages; at least 1 000. @default 2_000: a pull request
   * the server stops serving is waited out to its expiry — on NATS 2.9 the orchestrator's
   * `order.created` consumer once went 9 s without a message while they waited in the stream, as
   * long as the 10 s expiry then was. Short requests bound such a stall; an idle consumer pays one
   * request every 2 s for it.
   */
  readonly pullExpiresMs?: number
}

export interface ConsumerRunner {
  /** The durable name. */
  readonly name: string
  /** Messages received and not yet settled. */
  inFlight(): number
  /**
   * Graceful drain for SIGTERM: stops pulling, waits for the running handlers to finish and
   * their acks to reach the server, then resolves. Idempotent.
   */
  stop(): Promise<void>
}

/**
 * Runs a handler over a durable pull consumer. Each message is decoded and checked against its
 * contract, then handled inside a consumer span that continues the publisher's trace.
 *
 * Dead letters: the runner itself records a message in the DLQ and terminates it when it is
 * invalid, when the handler throws a PermanentError, and when the last allowed delivery fails.
 * The MAX_DELIVERIES advisory (see `startDeadLetterCopier`) is the safety net for the case the
 * runner cannot handle: a process that dies or hangs during the last delivery. Both paths use
 * the same `Nats-Msg-Id`, so a message is never dead-lettered twice.
 */
export async function runConsumer(opts: RunConsumerOptions): Promise<ConsumerRunner> {
  const spec = resolveConsumerSpec(opts.spec)
  const maxBatch = opts.batchHandler ? (opts.maxBatch ?? Math.min(32, spec.maxAckPending)) : 1
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > spec.maxAckPending) {
    throw new SpecError(`consumer ${spec.stream}/${spec.durable}`, [`maxBatch must be 1 to maxAckPending (${spec.maxAckPending})`])
  }
  const concurrency = opts.concurrency ?? Math.floor(spec.maxAckPending / maxBatch)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency * maxBatch > spec.maxAckPending) {
    // More messages held than max_ack_pending would wait for messages the server will not send.
    const limit = maxBatch === 1 ? `maxAckPending (${spec.maxAckPending})` : `maxAckPending / maxBatch (${spec.maxAckPending} / ${maxBatch})`
    throw new SpecError(`consumer ${spec.stream}/${spec.durable}`, [`concurrency must be 1 to ${limit}`])
  }
  const { bus } = opts
  let consumer
  try {
    consumer = await bus.js.consumers.get(spec.stream, spec.durable)
  } catch (err) {
    throw new ProvisioningError(`consumer ${spec.stream}/${spec.durable}`, 'not found; provision it before running it', { cause: err })
  }
  const logger = opts.logger.child({ consumer: spec.durable, stream: spec.stream })
  const metrics = messagingMetrics(opts.registry ?? new Registry())
  const unwatch = metrics.watchPending(
    spec.durable,
    cachedProbe(async () => {
      const info = await bus.jsm.consumers.info(spec.stream, spec.durable)
      return info.num_pending + info.num_ack_pending
    }),
  )
  const loop = startPullLoop({
    consumer,
    concurrency,
    maxBatch,
    expiresMs: Math.max(opts.pullExpiresMs ?? 2_000, 1_000),
    logger,
    process: (msgs) => handleBatch(msgs, { spec, handler: opts.handler, batchHandler: opts.batchHandler, logger, deadLetters: opts.deadLetters, metrics }),
  })
  logger.info({ concurrency, maxBatch }, 'consumer started')
  let stopping: Promise<void> | undefined
  return {
    name: spec.durable,
    inFlight: () => loop.inFlight(),
    stop() {
      stopping ??= (async () => {
        await loop.stop()
        unwatch()
        // ack() only queues the ack on the connection; flushing makes sure the server has it
        // before the process exits.
        if (!bus.nc.isClosed()) await bus.nc.flush()
        logger.info('consumer stopped')
      })()
      return stopping
    },
  }
}
