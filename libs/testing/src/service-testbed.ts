import type { Static, TObject } from 'typebox'
import { loadConfig } from '@orderflow/config'
import { migrationCommand, type Orm } from '@orderflow/db'
import type { App } from '@orderflow/http'
import { createTopology, provision, type Bus, type Topology } from '@orderflow/messaging'
import {
  buildServiceApp,
  openServiceContext,
  serviceProvisionPlan,
  startServiceWorkers,
  type ServiceConfig,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceWorkers,
  type WorkerOverrides,
} from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { createTestDatabase } from './database.js'
import { randomNamespace } from './names.js'
import { connectTestNats, deleteStreamsAfter, TEST_NATS_URL } from './nats.js'
import { mintToken, TEST_JWT_SECRETS, type TokenOptions } from './tokens.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface ServiceTestbed<C extends ServiceConfig> {
  app: App
  ctx: ServiceContext<C>
  orm: Orm
  bus: Bus
  /** The test's own NATS namespace: `topology.subject(...)`, `topology.stream(...)`. */
  topology: Topology
  config: C
  /** URL of the test's own migrated database. */
  url: string
  /** A bearer header for a token with the given roles (and other options). */
  auth(roles: readonly string[], opts?: Omit<TokenOptions, 'roles'>): { authorization: string }
  /** Starts the outbox relay, consumers, copier and the service's workers; stopped at teardown. */
  startWorkers(overrides?: WorkerOverrides): Promise<ServiceWorkers>
}

/** Applies a service's committed migrations to a fresh database of the test's own. */
export async function migratedDatabase(t: Teardown, def: Pick<ServiceDefinition, 'name' | 'entities' | 'migrationsPath'>): Promise<string> {
  const url = await createTestDatabase(t, `of_${def.name}`)
  const code = await migrationCommand(['up'], { url, entities: def.entities, migrationsPath: def.migrationsPath, out: () => undefined })
  if (code !== 0) throw new Error(`${def.name}: migrations failed with exit code ${code}`)
  return url
}

/**
 * A service as the runtime runs it, for one test file: its committed migrations on a database of
 * its own, its streams and consumers in a NATS namespace of its own (so nothing reaches the
 * platform's streams or another test's), its API built (call `app.inject()`), and its background
 * work started only when the test asks (`startWorkers`). Everything is removed at teardown.
 */
export async function serviceTestbed<S extends TObject, C extends Static<S> & ServiceConfig>(
  t: Teardown,
  def: ServiceDefinition<S, C>,
  env: Record<string, string> = {},
): Promise<ServiceTestbed<C>> {
  // Several services of one end-to-end test share a namespace (pass NATS_NAMESPACE in `env`).
  const namespace = env.NATS_NAMESPACE ?? randomNamespace()
  const topology = createTopology(namespace)
  deleteStreamsAfter(t, await connectTestNats(t), ...topology.streams().map((s) => s.name))
  const url = await migratedDatabase(t, def)
  const config = loadConfig(def.configSchema, {
    DATABASE_URL: url,
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_SECRETS: TEST_JWT_SECRETS.join(','),
    OUTBOX_POLL_INTERVAL_MS: '200',
    // Tests send hundreds of requests with one token (e2e's fuzz over 10,000): per-caller limits
    // are off unless a test turns them on; libs/http's tests and libs/runtime's cover them.
    RATE_LIMIT_ENABLED: 'false',
    ...env,
  }) as C
  const { ctx, close } = await openServiceContext(def, config, createLogger({ serviceName: `${def.name}-test`, level: 'silent' }))
  t.teardown(() => close())
  await provision(ctx.bus.jsm, serviceProvisionPlan(def, topology, 1))
  const app = buildServiceApp(def, ctx)
  t.teardown(() => app.close())
  await app.ready()

  const started: ServiceWorkers[] = []
  t.teardown(() => Promise.all(started.map((w) => w.stop())))
  return {
    app,
    ctx,
    orm: ctx.orm,
    bus: ctx.bus,
    topology,
    config,
    url,
    auth: (roles, opts = {}) => ({ authorization: `Bearer ${mintToken({ ...opts, roles })}` }),
    async startWorkers(overrides = {}) {
      const workers = await startServiceWorkers(def, ctx, overrides)
      started.push(workers)
      return workers
    },
  }
}

/** Polls until `check` returns a value other than `undefined`, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
