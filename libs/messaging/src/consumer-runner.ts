import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import { Registry } from 'prom-client'
import type { Logger } from 'pino'
import type { Bus } from './bus.js'
import type { Consumer, Transact } from './consumer.js'
import type { DeadLetters } from './dead-letters.js'
import { settleBatch } from './settle-batch.js'
import { ProvisioningError, SpecError } from './messaging.errors.js'
import { cachedProbe, messagingMetrics } from './messaging.metrics.js'
import { resolveConsumerSpec } from './specs.js'

/** How long one pull request of `consume()` lasts; its idle heartbeat is half of it. */
const PULL_EXPIRES_MS = 5_000

export interface RunConsumerOptions<Tx> {
  readonly bus: Bus
  /** The consumer, provisioned beforehand with the same spec. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event type is the consumer's own business
  readonly consumer: Consumer<any, Tx>
  /** Opens the transaction each batch runs in. */
  readonly transact: Transact<Tx>
  readonly logger: Logger
  /** Where invalid, permanently failing and exhausted messages are recorded. */
  readonly deadLetters: DeadLetters
  /** Where the consumer metrics are registered. @default a new, private Registry */
  readonly registry?: Registry
  /** Batches handled at once (each holds a database connection). @default 2 */
  readonly concurrency?: number
  /** Most events one batch takes. @default 64, or the spec's `maxAckPending` / `concurrency` if smaller */
  readonly maxBatch?: number
  /**
   * How long a batch may wait for company: a batch starts when it is full or when its oldest
   * message has waited this long. 0 starts at once. @default 0
   */
  readonly lingerMs?: number
}

export interface ConsumerRunner {
  /** The durable name. */
  readonly name: string
  /** Messages received and not yet settled. */
  inFlight(): number
  /**
   * Graceful stop for SIGTERM: stops pulling, hands the messages not started yet back to the
   * server at once (nak, so a sibling replica takes them now rather than after the ack wait),
   * waits for the batches under way to commit and their acks to reach the server. Idempotent.
   */
  stop(): Promise<void>
}

/**
 * Runs a {@link Consumer} over its durable pull consumer, batch-first. Messages come through
 * nats.js `consume()`, which keeps a pull open and refills it before it runs dry (with idle
 * heartbeats to notice a pull the server stopped serving); the server's `max_ack_pending` bounds
 * what is held. Whatever arrived while every batch slot was busy is taken by the next free slot
 * as one batch, one transaction: a quiet consumer handles each event as it comes, a busy one
 * shares each transaction's fixed cost among more events exactly when it is behind.
 */
export async function runConsumer<Tx>(opts: RunConsumerOptions<Tx>): Promise<ConsumerRunner> {
  const spec = resolveConsumerSpec(opts.consumer.spec)
  const concurrency = opts.concurrency ?? 2
  const maxBatch = opts.maxBatch ?? Math.max(1, Math.min(64, Math.floor(spec.maxAckPending / concurrency)))
  const lingerMs = opts.lingerMs ?? 0
  const problems: string[] = []
  if (!Number.isInteger(concurrency) || concurrency < 1) problems.push('concurrency must be a positive integer')
  if (!Number.isInteger(maxBatch) || maxBatch < 1) problems.push('maxBatch must be a positive integer')
  if (!Number.isFinite(lingerMs) || lingerMs < 0) problems.push('lingerMs must be a finite number, 0 or more')
  if (problems.length > 0) throw new SpecError(`consumer ${spec.stream}/${spec.durable}`, problems)

  const { bus } = opts
  let source
  try {
    source = await bus.js.consumers.get(spec.stream, spec.durable)
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
  const deps = { spec, consumer: opts.consumer, transact: opts.transact, logger, deadLetters: opts.deadLetters, metrics }

  const waiting: JsMsg[] = []
  const running = new Set<Promise<void>>()
  let held = 0
  let pumpScheduled = false
  let stopping = false
  // When the oldest waiting message arrived, and the timer that starts its batch after lingering.
  let oldestAt = 0
  let lingering: NodeJS.Timeout | undefined

  const pump = () => {
    while (!stopping && running.size < concurrency && waiting.length > 0) {
      const waited = performance.now() - oldestAt
      if (waiting.length < maxBatch && waited < lingerMs) {
        lingering ??= setTimeout(() => {
          lingering = undefined
          pump()
        }, lingerMs - waited)
        return
      }
      if (lingering) clearTimeout(lingering)
      lingering = undefined
      const batch = waiting.splice(0, maxBatch)
      // What a full batch left behind has waited its turn already: the next free slot takes it.
      oldestAt = 0
      const task: Promise<void> = settleBatch(batch, deps)
        .catch((err: unknown) => logger.error({ err, seqs: batch.map((m) => m.seq) }, 'settling a batch failed unexpectedly; redelivered after ack_wait'))
        .finally(() => {
          held -= batch.length
          running.delete(task)
          pump()
        })
      running.add(task)
    }
  }
  const receive = (msg: JsMsg) => {
    if (stopping) return void msg.nak()
    held++
    if (waiting.length === 0) oldestAt = performance.now()
    waiting.push(msg)
    // Messages of one network read arrive in one turn of the event loop: start after it, so
    // they are handled together rather than one by one.
    if (!pumpScheduled) {
      pumpScheduled = true
      setImmediate(() => {
        pumpScheduled = false
        pump()
      })
    }
  }

  const messages: ConsumerMessages = await source.consume({
    max_messages: Math.min(spec.maxAckPending, concurrency * maxBatch * 2),
    // nats.js notices a pull the server no longer serves (a consumer deleted and re-created, the
    // NATS 2.9 stall the old pull loop's short expiry guarded against) after two missed idle
    // heartbeats, half the expiry each: with its default 30 s expiry that took 30–45 s; 5 s
    // bounds it to about 5 s, for one pull request every 5 s while the consumer is idle.
    expires: PULL_EXPIRES_MS,
    callback: receive,
  })
  void (async () => {
    for await (const s of messages.status()) {
      if (s.type === 'heartbeats_missed' || s.type === 'consumer_not_found' || s.type === 'consumer_deleted' || s.type === 'stream_not_found') {
        logger.warn({ status: s.type }, 'pull consumer status; nats.js resumes the pull')
      } else {
        logger.debug({ status: s.type }, 'pull consumer status')
      }
    }
  })().catch((err: unknown) => logger.debug({ err }, 'consumer status stream ended'))

  logger.info({ concurrency, maxBatch }, 'consumer started')
  let stopped: Promise<void> | undefined
  return {
    name: spec.durable,
    inFlight: () => held,
    stop() {
      stopped ??= (async () => {
        stopping = true
        if (lingering) clearTimeout(lingering)
        await messages.close().catch(() => undefined)
        const unstarted = waiting.splice(0)
        held -= unstarted.length
        for (const msg of unstarted) msg.nak()
        await Promise.all([...running])
        unwatch()
        // ack() only queues the ack on the connection; flushing makes sure the server has it
        // before the process exits.
        if (!bus.nc.isClosed()) await bus.nc.flush()
        logger.info('consumer stopped')
      })()
      return stopped
    },
  }
}
