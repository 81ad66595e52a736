import type { TObject } from 'typebox'
import { startInboxCleanup, startOutboxRelay, type OutboxRelay } from '@orderflow/db'
import { resolveConsumerSpec, runConsumer, startDeadLetterCopier, type ConsumerRunner, type ConsumerSpec, type DeadLetterCopier } from '@orderflow/messaging'
import type { ServiceContext } from './service-context.js'
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
        publish: (batch) =>
          publisher.publishMany(batch.map((r) => ({ event: r.event, subject: topology.subject(r.subject), headers: r.headers }))),
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
      // Each handler holds a database connection for its transaction: beyond the pool's size more
      // handlers would only queue for connections while their ack deadline runs.
      const concurrency = config.CONSUMER_CONCURRENCY ?? Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 2))
      for (const binding of def.consumers ?? []) {
        const spec = topology.consumer(binding.spec)
        const batching = binding.batchHandler
          ? { batchHandler: binding.batchHandler(ctx), maxBatch: batchSizeFor(spec, concurrency, config.CONSUMER_BATCH_SIZE) }
          : {}
        const runner: ConsumerRunner = await runConsumer({ bus, spec, handler: binding.handler(ctx), ...batching, logger, deadLetters, registry, concurrency })
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

/** The configured batch size, shrunk so every slot's batch fits in the consumer's max_ack_pending. */
function batchSizeFor(spec: ConsumerSpec, concurrency: number, configured: number): number {
  return Math.max(1, Math.min(configured, Math.floor(resolveConsumerSpec(spec).maxAckPending / concurrency)))
}

async function stopAll(workers: readonly { name: string; stop(): Promise<void> }[]): Promise<void> {
  for (const w of workers) await w.stop()
}
