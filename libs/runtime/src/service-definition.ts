import type { AnyEntity, EntityClass, EntitySchema } from '@mikro-orm/core'
import type { TObject } from 'typebox'
import type { App } from '@orderflow/http'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import type { ServiceContext } from './service-context.js'
import type { ServiceConfig } from './service-settings.js'

/** Something a service runs beside its API and consumers (a scheduler, a cleanup job). */
export interface Worker {
  readonly name: string
  stop(): Promise<void>
}

/**
 * One durable consumer of the service: its spec (declared in the platform's default namespace;
 * the runtime moves it into the configured one), and the consumer built from the service's
 * context. Its batches run in a {@link BatchTx} on the service's database.
 */
export interface ConsumerBinding<C extends ServiceConfig> {
  readonly spec: Consumer['spec']
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each consumer narrows its own events
  readonly consumer: (ctx: ServiceContext<C>) => Consumer<any, BatchTx>
}

/**
 * Everything that makes a service itself; `runService`, `runMigrations` and `runProvision` do the
 * rest the same way for every service (config, telemetry, database, NATS, API, outbox relay,
 * consumers, dead letters, graceful shutdown).
 */
export interface ServiceDefinition<S extends TObject = TObject, C extends ServiceConfig = ServiceConfig> {
  /** The one short name: folder, image, chart key, Kubernetes objects, `service` in logs. */
  readonly name: string
  /** Its settings: `Type.Object({ ...serviceSettings(port), ...own })`. */
  readonly configSchema: S
  /** Its tables, including `OutboxMessage` and `InboxMessage` when it uses them. */
  readonly entities: ReadonlyArray<EntitySchema | EntityClass<AnyEntity>>
  /** `new URL('./migrations', import.meta.url)` from the service's `src`. */
  readonly migrationsPath: URL
  readonly openapi: { readonly title: string; readonly description: string }
  /** Serves the operators' dead-letter API under `/v1/dead-letters` (role `ops:dlq`). @default false */
  readonly deadLetterApi?: boolean
  /** Registers the service's routes (usually `protectedRoutes(...)` under `/v1`). */
  readonly routes?: (app: App, ctx: ServiceContext<C>) => void
  readonly consumers?: readonly ConsumerBinding<C>[]
  /** Starts what else the service runs; stopped after the consumers, before the relay. */
  readonly workers?: (ctx: ServiceContext<C>) => Promise<readonly Worker[]>
}
