import type { TObject } from 'typebox'
import { runBatchTransaction, startInboxCleanup, startOutboxRelay, type BatchTx, type OutboxRelay } from '@orderflow/db'
import { runConsumer, startDeadLetterCopier, type ConsumerRunner, type DeadLetterCopier, type Transact } from '@orderflow/messaging'
import { publishOutboxRows, type ServiceContext } from './service-context.js'
import type { ServiceDefinition, Worker } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'

export interface ServiceWorkers {
  /**
   * Stops in dependency order: consumers first (their handlers may enqueue events), then the
   * service's own workers, the dead-letter copier, the relay (which drains what was enqueued).
   * Calling it again waits for the same stop.
   */
  stop(): Promise<void>
}

export interface WorkerOverrides {
  /** Run the outbox relay. @default config.OUTBOX_RELAY_ENABLED */
  relay?: boolean
  /** Run the consumers. @default true */
  consumers?: boolean
}

/** Starts everything the service runs besides its API. */
export async function startServiceWorkers<C extends ServiceConfig>(
  def: ServiceDefinition<TObject, C>,
  ctx: ServiceContext<C>,
  overrides: WorkerOverrides = {},
): Promise<ServiceWorkers> {
  const { config, logger, registry, bus, topology, publisher, deadLetters } = ctx
  const started: { name: string; stop(): Promise<void> }[] = []
  try {
    if (overrides.relay ?? config.OUTBOX_RELAY_ENABLED) {
      const relay: OutboxRelay = await startOutboxRelay({
        url: config.DATABASE_URL,
        logger: logger.child({ component: 'outbox-relay' }),
        registry,
        batchSize: config.OUTBOX_BATCH_SIZE,
        pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
        sweepAfterMs: config.OUTBOX_SWEEP_AFTER_MS,
        publish: publishOutboxRows(publisher, topology),
      })
      started.push({ name: 'outbox relay', stop: () => relay.stop() })
    }
    if (config.DLQ_COPIER_ENABLED) {
      const copier: DeadLetterCopier = await startDeadLetterCopier({ bus, logger, deadLetters, registry, advisoryStream: topology.deadLetters.advisoryStream })
      started.push({ name: 'dead-letter copier', stop: () => copier.stop() })
    }
    const cleanup = startInboxCleanup(ctx.orm, { logger })
    started.push({ name: 'inbox cleanup', stop: () => cleanup.stop() })
    const own: readonly Worker[] = (await def.workers?.(ctx)) ?? []
    started.push(...own)
    if (overrides.consumers ?? true) {
      // Each batch holds a database connection for its transaction; batches, not more slots, are
      // what keeps a busy consumer up, so two slots per consumer leave the pool to the API.
      const concurrency = config.CONSUMER_CONCURRENCY
      const transact = serviceTransact(ctx)
      for (const binding of def.consumers ?? []) {
        const consumer = binding.consumer(ctx)
        // The binding's spec, as provisioning declared it, whatever the consumer carries.
        const spec = topology.consumer(binding.spec)
        const runner: ConsumerRunner = await runConsumer({
          bus,
          consumer: { ...consumer, spec },
          transact,
          logger,
          deadLetters,
          registry,
          concurrency,
          maxBatch: config.CONSUMER_BATCH_SIZE,
          lingerMs: config.CONSUMER_BATCH_LINGER_MS,
        })
        started.push({ name: `consumer ${spec.durable}`, stop: () => runner.stop() })
      }
    }
  } catch (error) {
    await stopAll(started.reverse())
    throw error
  }
  // Idempotent: a test may stop a service's workers early, and its teardown stops them again.
  let stopping: Promise<void> | undefined
  return { stop: () => (stopping ??= stopAll([...started].reverse())) }
}

/** A consumer batch's transaction on the service's database: inbox, effects and outbox commit together; the outbox is published right after. */
export function serviceTransact(ctx: Pick<ServiceContext, 'db' | 'outbox'> & { readonly logger?: ServiceContext['logger'] }): Transact<BatchTx> {
  return (consumer, eventIds, work) =>
    runBatchTransaction(
      {
        db: ctx.db,
        consumer,
        eventIds,
        afterCommit: (rows) => ctx.outbox.publishCommitted(rows),
        onCommitError: (error) => ctx.logger?.warn({ err: error, consumer }, 'an after-commit callback failed; the batch stays committed'),
      },
      work,
    )
}

async function stopAll(workers: readonly { name: string; stop(): Promise<void> }[]): Promise<void> {
  for (const w of workers) await w.stop()
}
