import type { Static, TObject } from 'typebox'
import Type from 'typebox'
import type { Logger } from 'pino'
import { DatabaseSettings, loadConfig, LogSettings, NatsSettings, runEntryPoint, splitList } from '@orderflow/config'
import { ensureDatabase, migrationCommand } from '@orderflow/db'
import { installShutdown } from '@orderflow/http'
import { BusConnectError, connectBus, createTopology, provision, type Bus, type ProvisionReport } from '@orderflow/messaging'
import { createLogger, initTracing } from '@orderflow/telemetry'
import { serviceProvisionPlan } from './provision-plan.js'
import { buildServiceApp } from './service-app.js'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'
import { startServiceWorkers } from './service-workers.js'
import { startWhenReady } from './start-when-ready.js'
import { startWorkersRetrying } from './start-workers.js'
import { isJetStreamSettling, reachDatabase, waitUnlessStopped } from './job-dependencies.js'
import { rootMessage } from './ready-context.js'
import { DependencyUnavailable } from './wait-for-dependencies.js'

/**
 * The body of a service's `main.ts`: config → telemetry → database and NATS → API → workers,
 * then a graceful shutdown on SIGTERM (readiness 503, drain, close the server, stop the workers,
 * close the connections, flush traces). Fails fast on bad config; waits, not ready, for a
 * database, NATS, migrations or streams that are not there yet (see `startWhenReady`).
 */
export function runService<S extends TObject>(def: ServiceDefinition<S, Static<S> & ServiceConfig>): Promise<void> {
  return runEntryPoint(async () => {
    const config = loadConfig(def.configSchema) as Static<S> & ServiceConfig
    const tracing = initTracing({ serviceName: def.name, otlpEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT })
    const logger = createLogger({ serviceName: def.name, level: config.LOG_LEVEL })
    const ready = await startWhenReady(def, config, logger)
    if (!ready) {
      // Stopped while waiting for its dependencies, with nothing else started. Exits as the
      // service's shutdown does: nothing a library still holds may keep the process.
      await tracing.shutdown()
      process.exit(0)
    }
    const { ctx, close } = ready
    const app = buildServiceApp(def, ctx)
    await app.listen({ host: config.HOST, port: config.PORT })
    const workers = await startWorkersRetrying(() => startServiceWorkers(def, ctx), logger, ready.stopping)
    if (!workers) {
      // Stopped while NATS was away, before anything but the API had started.
      await app.close()
      await close()
      await tracing.shutdown()
      process.exit(0)
    }
    const shutdown = installShutdown({
      app,
      logger,
      drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      steps: [
        { name: 'workers', run: () => workers.stop() },
        { name: 'connections', run: () => close() },
        { name: 'tracing', run: () => tracing.shutdown() },
      ],
    })
    ready.handOver(shutdown)
  })
}

/**
 * The body of a service's `migrate.ts`: `up | down | pending | create [name]`, plus
 * `--create-database` (local development, the chart's development PostgreSQL) to create the
 * database first when it is missing, and `--wait` (the chart's Jobs that start together with the
 * release's own PostgreSQL) to wait, with backoff and without a time limit, until the server
 * answers and the database exists (or, with `--create-database`, the server alone), logging why
 * it waits. Stopped while waiting (SIGTERM, SIGINT) it exits with 1: nothing was migrated.
 */
export function runMigrations(def: Pick<ServiceDefinition, 'name' | 'entities' | 'migrationsPath'>, argv = process.argv.slice(2)): Promise<void> {
  return runEntryPoint(async () => {
    const { DATABASE_URL, LOG_LEVEL } = loadConfig(Type.Object({ DATABASE_URL: DatabaseSettings.DATABASE_URL, ...LogSettings }))
    const createDatabase = argv.includes('--create-database')
    if (argv.includes('--wait')) {
      const logger = createLogger({ serviceName: def.name, level: LOG_LEVEL })
      const reached = await waitUnlessStopped(() => reachDatabase(DATABASE_URL, { maintenance: createDatabase }).then(() => true), logger)
      if (reached === undefined) return stoppedWhileWaiting(logger)
    }
    if (createDatabase) await ensureDatabase(DATABASE_URL)
    const args = argv.filter((a) => a !== '--create-database' && a !== '--wait')
    process.exitCode = await migrationCommand(args, { url: DATABASE_URL, entities: def.entities, migrationsPath: def.migrationsPath })
  })
}

/**
 * The body of a service's `provision.ts`: declares the streams and its consumers (idempotent).
 * With `--wait` (the chart's Jobs that start together with the release's own NATS) it waits, with
 * backoff and without a time limit, for NATS to answer and JetStream to accept the declarations
 * (a cluster electing its leader, fewer servers up than the replicas). Stopped while waiting it
 * exits with 1.
 */
export function runProvision<C extends ServiceConfig>(def: Pick<ServiceDefinition<TObject, C>, 'name' | 'consumers'>, argv = process.argv.slice(2)): Promise<void> {
  return runEntryPoint(async () => {
    const config = loadConfig(Type.Object({ ...NatsSettings, ...LogSettings }))
    const logger = createLogger({ serviceName: def.name, level: config.LOG_LEVEL })
    const attempt = async (): Promise<ProvisionReport> => {
      let bus: Bus
      try {
        bus = await connectBus({ servers: splitList(config.NATS_URL), name: `${def.name}-provision`, logger, user: config.NATS_USER, pass: config.NATS_PASSWORD })
      } catch (error) {
        if (error instanceof BusConnectError) throw new DependencyUnavailable('nats', rootMessage(error), { cause: error })
        throw error
      }
      try {
        const plan = serviceProvisionPlan(def, createTopology(config.NATS_NAMESPACE), config.STREAM_REPLICAS)
        return await provision(bus.jsm, plan, { replicas: config.STREAM_REPLICAS })
      } catch (error) {
        if (isJetStreamSettling(error)) throw new DependencyUnavailable('nats jetstream', rootMessage(error), { cause: error })
        throw error
      } finally {
        await bus.close()
      }
    }
    const report = argv.includes('--wait') ? await waitUnlessStopped(attempt, logger) : await attempt()
    if (report === undefined) return stoppedWhileWaiting(logger)
    for (const s of report.streams) logger.info({ stream: s.name, action: s.action, changed: s.changed }, 'stream provisioned')
    for (const c of report.consumers) logger.info({ stream: c.stream, consumer: c.durable, action: c.action, changed: c.changed }, 'consumer provisioned')
  })
}

/** A Job stopped before it did its work has not succeeded: Kubernetes must not count it done. */
function stoppedWhileWaiting(logger: Logger): void {
  logger.warn('stopped while waiting for a dependency; nothing was done')
  process.exitCode = 1
}
