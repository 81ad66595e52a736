import pg from 'pg'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { OutboxRelayError } from './db.errors.js'
import type { OutboxRecord } from './outbox.js'
import { outboxMetrics, type OutboxMetrics, type PendingCounter } from './outbox.metrics.js'
import { claimBatch, countPending, markSent, outboxTableExists, purgeSent, recordFailures } from './outbox.sql.js'
import { survivePoolErrors } from './pool-errors.js'
import { watchPool } from './pool.metrics.js'

/** What became of one message of a batch, in the batch's order. */
export type PublishOutcome = { ok: true } | { ok: false; error: unknown }

/**
 * Publishes a batch — pipelined, with `Nats-Msg-Id` = `record.id` and `record.headers` as headers —
 * and reports each message's outcome in order. A rejection counts as every message failing. It
 * must settle in bounded time (JetStream publishes time out on their own): `stop()` waits for it.
 */
export type PublishBatch = (batch: readonly OutboxRecord[]) => Promise<readonly PublishOutcome[]>

export interface OutboxRelayOptions {
  /** URL of the database holding the `outbox` table. */
  url: string
  /** Sends a batch to the broker; the service wires its messaging library here. */
  publish: PublishBatch
  /** Its lines say `component: outbox-relay`, unless the logger already names a `component`. */
  logger: Logger
  /** Most events claimed and published at once. @default 100 */
  batchSize?: number
  /** Wait between two sweeps of the table when the last one found less than a full batch. @default 1000 */
  pollIntervalMs?: number
  /**
   * Rows younger than this are left alone: the process that committed them publishes them itself
   * right after its commit (`createOutboxPublisher`), so the relay only sweeps what a crash or a
   * failed publish left behind. 0 sweeps every unsent row (a service that only enqueues). @default 5000
   */
  sweepAfterMs?: number
  /**
   * How long a claimed batch belongs to its relay. A relay that dies mid-batch delays those
   * events by this much; keep it well under the stream's duplicate window (2 min by default), so
   * the copy another relay then publishes is still dropped as a duplicate.
   * @default 30000
   */
  claimTtlMs?: number
  /** Delay before the first retry of a failed publish; doubles with every attempt. @default 1000 */
  retryDelayMs?: number
  /** Longest delay between retries of a failed publish. @default 60000 */
  maxRetryDelayMs?: number
  /** How long sent rows are kept (for inspection) before they are purged. @default 3600000 (1 h) */
  retentionMs?: number
  /** How often sent rows past the retention are purged. @default 60000 */
  purgeIntervalMs?: number
  /** Connections of the relay's own pool. @default 2 */
  poolSize?: number
  /** Where the `outbox_*` metrics are registered. @default prom-client's global registry */
  registry?: Registry
}

export interface OutboxRelay {
  /** Finishes the batch in progress (publish and mark), then closes the relay's connections. */
  stop(): Promise<void>
}

/**
 * Starts sweeping the outbox: claim a batch of rows older than `sweepAfterMs` that nobody
 * published, publish it, mark the successes sent and record the failures; go on at once while
 * batches come back full, otherwise wait for the poll interval. The hot path does not come here:
 * a committing process publishes its own rows at once (`createOutboxPublisher`). Several relays,
 * in several replicas, may run against one table. Rejects with {@link OutboxRelayError} if the
 * database cannot be reached or the table is missing.
 *
 * It uses plain `pg` with a small pool of its own, not the ORM: this is a hot loop of four fixed
 * statements over rows it never keeps, where a unit of work and an identity map would only add
 * cost, and its own pool keeps it from competing with request handlers for connections.
 */
export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const relay = new Relay(options)
  await relay.start()
  return relay
}

class Relay implements OutboxRelay {
  readonly #publish: PublishBatch
  readonly #logger: Logger
  readonly #batchSize: number
  readonly #pollIntervalMs: number
  readonly #claimTtlMs: number
  readonly #retryDelayMs: number
  readonly #maxRetryDelayMs: number
  readonly #retentionMs: number
  readonly #purgeIntervalMs: number
  readonly #metrics: OutboxMetrics
  readonly #pool: pg.Pool
  readonly #sweepAfterMs: number
  readonly #countPending: PendingCounter
  readonly #registry: Registry | undefined
  #unwatchPool: (() => void) | undefined
  #stopping = false
  #wakeSleeper: (() => void) | undefined
  #loop: Promise<void> = Promise.resolve()
  #purgeTimer: NodeJS.Timeout | undefined
  #purging: Promise<void> = Promise.resolve()
  #stopped: Promise<void> | undefined

  constructor(options: OutboxRelayOptions) {
    this.#publish = options.publish
    this.#logger = componentLogger(options.logger, 'outbox-relay')
    this.#batchSize = positive('batchSize', options.batchSize ?? 100)
    this.#pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 1_000)
    this.#claimTtlMs = positive('claimTtlMs', options.claimTtlMs ?? 30_000)
    this.#retryDelayMs = positive('retryDelayMs', options.retryDelayMs ?? 1_000)
    this.#maxRetryDelayMs = positive('maxRetryDelayMs', options.maxRetryDelayMs ?? 60_000)
    this.#retentionMs = positive('retentionMs', options.retentionMs ?? 3_600_000)
    this.#purgeIntervalMs = positive('purgeIntervalMs', options.purgeIntervalMs ?? 60_000)
    const poolSize = positive('poolSize', options.poolSize ?? 2)
    this.#metrics = outboxMetrics(options.registry)
    this.#registry = options.registry
    this.#pool = new pg.Pool({ connectionString: options.url, max: poolSize, application_name: 'orderflow-outbox-relay' })
    survivePoolErrors(this.#pool, (error) => this.#logger.warn({ err: error }, 'outbox relay pool connection lost'))
    this.#sweepAfterMs = options.sweepAfterMs ?? 5_000
    if (!Number.isInteger(this.#sweepAfterMs) || this.#sweepAfterMs < 0) throw new OutboxRelayError(`sweepAfterMs must be an integer >= 0 (got ${this.#sweepAfterMs})`)
    this.#countPending = async () => {
      try {
        return await countPending(this.#pool)
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not count pending outbox events')
        return undefined
      }
    }
  }

  async start(): Promise<void> {
    try {
      if (!(await outboxTableExists(this.#pool))) throw new OutboxRelayError('table outbox does not exist: run the migrations first')
    } catch (error) {
      await this.#pool.end()
      if (error instanceof OutboxRelayError) throw error
      throw new OutboxRelayError('cannot start the outbox relay: cannot connect to the database', { cause: error })
    }
    this.#metrics.pendingCounters.add(this.#countPending)
    this.#unwatchPool = this.#registry ? watchPool(this.#registry, 'outbox-relay', this.#pool) : undefined
    this.#loop = this.#run()
    this.#schedulePurge()
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#stopping = true
      clearTimeout(this.#purgeTimer)
      this.#wake()
      await this.#loop
      await this.#purging
      this.#metrics.pendingCounters.delete(this.#countPending)
      this.#unwatchPool?.()
      await this.#pool.end()
    })()
    return this.#stopped
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let more: boolean
      try {
        more = await this.#relayBatch()
      } catch (error) {
        this.#logger.error({ err: error }, 'outbox relay batch failed; retrying after the poll interval')
        await this.#sleep(this.#pollIntervalMs)
        continue
      }
      if (!more) await this.#sleep(this.#pollIntervalMs)
    }
  }

  /** One claim–publish–mark round; true when the table probably holds more to send right away. */
  async #relayBatch(): Promise<boolean> {
    const batch = await claimBatch(this.#pool, this.#batchSize, this.#claimTtlMs, this.#sweepAfterMs)
    if (batch.length === 0) return false
    this.#metrics.batchSize.observe(batch.length)
    const outcomes = await this.#publishBatch(batch)
    const sent: string[] = []
    const failed: Array<{ id: string; error: string }> = []
    batch.forEach((record, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok) sent.push(record.id)
      else failed.push({ id: record.id, error: describe(outcome ? outcome.error : 'no outcome reported') })
    })
    if (sent.length > 0) {
      const latencies = await markSent(this.#pool, sent)
      this.#metrics.published.inc(latencies.length)
      for (const seconds of latencies) this.#metrics.latency.observe(Math.max(0, seconds))
    }
    if (failed.length > 0) {
      this.#metrics.failures.inc(failed.length)
      this.#logger.warn({ failed: failed.length, batch: batch.length, error: failed[0]?.error }, 'outbox events failed to publish; they will be retried')
      await recordFailures(this.#pool, failed, this.#retryDelayMs, this.#maxRetryDelayMs)
    }
    // Straight on only while batches are full and getting through: when publishing fails, the
    // broker needs a pause, not the next batch.
    return batch.length === this.#batchSize && sent.length > 0
  }

  async #publishBatch(batch: readonly OutboxRecord[]): Promise<ReadonlyArray<PublishOutcome | undefined>> {
    try {
      const outcomes = await this.#publish(batch)
      if (outcomes.length !== batch.length) {
        this.#logger.error({ expected: batch.length, got: outcomes.length }, 'publish reported a wrong number of outcomes; the unreported are retried')
      }
      return outcomes
    } catch (error) {
      return batch.map(() => ({ ok: false, error }))
    }
  }

  #wake(): void {
    const sleeper = this.#wakeSleeper
    this.#wakeSleeper = undefined
    sleeper?.()
  }

  /** Waits `ms`, or until the relay stops. */
  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeSleeper = undefined
        resolve()
      }, ms)
      this.#wakeSleeper = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  #schedulePurge(): void {
    if (this.#stopping) return
    this.#purgeTimer = setTimeout(() => {
      this.#purging = purgeSent(this.#pool, this.#retentionMs).then(
        (deleted) => {
          if (deleted > 0) this.#logger.debug({ deleted }, 'purged sent outbox events')
        },
        (error: unknown) => this.#logger.warn({ err: error }, 'could not purge sent outbox events'),
      )
      void this.#purging.then(() => this.#schedulePurge())
    }, this.#purgeIntervalMs)
  }
}

/**
 * A child that names the component, unless the caller's logger names one already: pino cannot
 * replace a binding, it would write `component` twice in every line (a JSON object with a
 * repeated key, which log pipelines read differently or reject).
 */
function componentLogger(logger: Logger, component: string): Logger {
  return 'component' in logger.bindings() ? logger : logger.child({ component })
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new OutboxRelayError(`${name} must be a positive integer (got ${value})`)
  return value
}

/** The text kept in `last_error`: enough to diagnose, bounded so a huge message cannot bloat the row. */
function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text
}
