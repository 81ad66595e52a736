import type { Static, TObject } from 'typebox'
import Type from 'typebox'
import { DatabaseSettings, loadConfig, LogSettings, NatsSettings, runEntryPoint, splitList } from '@orderflow/config'
import { ensureDatabase, migrationCommand } from '@orderflow/db'
import { installShutdown } from '@orderflow/http'
import { connectBus, createTopology, provision } from '@orderflow/messaging'
import { createLogger, initTracing } from '@orderflow/telemetry'
import { serviceProvisionPlan } from './provision-plan.js'
import { buildServiceApp } from './service-app.js'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'
import { startServiceWorkers } from './service-workers.js'
import { startWhenReady } from './start-when-ready.js'

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
    const workers = await startServiceWorkers(def, ctx)
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
 * `--create-database` (local development) to create the database first when it is missing.
 */
export function runMigrations(def: Pick<ServiceDefinition, 'entities' | 'migrationsPath'>, argv = process.argv.slice(2)): Promise<void> {
  return runEntryPoint(async () => {
    const { DATABASE_URL } = loadConfig(Type.Object({ DATABASE_URL: DatabaseSettings.DATABASE_URL }))
    if (argv.includes('--create-database')) await ensureDatabase(DATABASE_URL)
    const args = argv.filter((a) => a !== '--create-database')
    process.exitCode = await migrationCommand(args, { url: DATABASE_URL, entities: def.entities, migrationsPath: def.migrationsPath })
  })
}

/** The body of a service's `provision.ts`: declares the streams and its consumers (idempotent). */
export function runProvision<C extends ServiceConfig>(def: Pick<ServiceDefinition<TObject, C>, 'name' | 'consumers'>): Promise<void> {
  return runEntryPoint(async () => {
    const config = loadConfig(Type.Object({ ...NatsSettings, ...LogSettings }))
    const logger = createLogger({ serviceName: def.name, level: config.LOG_LEVEL })
    const bus = await connectBus({ servers: splitList(config.NATS_URL), name: `${def.name}-provision`, logger, user: config.NATS_USER, pass: config.NATS_PASSWORD })
    try {
      const plan = serviceProvisionPlan(def, createTopology(config.NATS_NAMESPACE), config.STREAM_REPLICAS)
      const report = await provision(bus.jsm, plan, { replicas: config.STREAM_REPLICAS })
      for (const s of report.streams) logger.info({ stream: s.name, action: s.action, changed: s.changed }, 'stream provisioned')
      for (const c of report.consumers) logger.info({ stream: c.stream, consumer: c.durable, action: c.action, changed: c.changed }, 'consumer provisioned')
    } finally {
      await bus.close()
    }
  })
}
