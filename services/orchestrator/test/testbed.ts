import { eventually } from '@orderflow/testing/service'
import { randomUUID } from 'node:crypto'
import { loadConfig } from '@orderflow/config'
import { makeEvent, OrderCreated, type CloudEvent, type DataOf, type MessageDefinition } from '@orderflow/contracts'
import { migrationCommand, type Orm } from '@orderflow/db'
import type { App } from '@orderflow/http'
import { createPublisher, createTopology, provision, type Topology } from '@orderflow/messaging'
import { buildServiceApp, openServiceContext, serviceProvisionPlan, startServiceWorkers, type ServiceContext, type ServiceWorkers } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, mintToken, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'
import type { Static, TSchema } from 'typebox'
import { OrchestratorConfigSchema, type OrchestratorConfig } from '../src/config.js'
import { orchestratorEntities } from '../src/entities/entities.js'
import { Saga, type ISaga } from '../src/entities/saga.entity.js'
import { orchestratorService } from '../src/service.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

export const migrationsPath = new URL('../src/migrations/', import.meta.url)

/** A migrated database of its own for one test file. */
export async function migratedDatabase(t: TestLike): Promise<string> {
  const url = await createTestDatabase(t, 'of_orch')
  const code = await migrationCommand(['up'], { url, entities: orchestratorEntities, migrationsPath, out: () => undefined })
  if (code !== 0) throw new Error(`migrations failed with exit code ${code}`)
  return url
}

export interface SagaTestbed {
  app: App
  orm: Orm
  ctx: ServiceContext<OrchestratorConfig>
  topology: Topology
  /** Starts the relay, consumers, deadline worker and copier as main.ts does; stopped at teardown. */
  startWorkers(): Promise<ServiceWorkers>
  /** Publishes an event as the service owning it would, on its subject in the test's namespace. */
  publish<S extends TSchema>(def: MessageDefinition<S>, orderId: string, data: Static<S>, id?: string): Promise<CloudEvent>
  /** Publishes `order.created` for a new order (payment included unless overridden) and returns its id. */
  createOrder(overrides?: Partial<DataOf<typeof OrderCreated>>): Promise<string>
  /** The saga row as it is now, or null. */
  saga(orderId: string): Promise<ISaga | null>
  /** Waits until the saga is in `state`. */
  untilState(orderId: string, state: string, timeoutMs?: number): Promise<ISaga>
  /** Short types (`inventory.reserve`) of the messages about the order on a stream's subjects matching `part` (`.cmd.`, `.evt.saga.`), in stream order. */
  messages(stream: 'ORDERS' | 'INVENTORY' | 'PAYMENTS' | 'FULFILLMENT', orderId: string, part: string): Promise<CloudEvent[]>
  auth(roles: readonly string[]): { authorization: string }
}

/** The data of an order of 2 × SKU-1 for 25 EUR paid by a card that authorizes: `createOrder`'s, and for tests that build events themselves. */
export function orderData(orderId: string = randomUUID()): DataOf<typeof OrderCreated> {
  return {
    orderId,
    customerId: 'c-42',
    email: 'ada@example.com',
    currency: 'EUR',
    items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
    totalAmount: 2500,
    payment: { method: 'card', token: 'tok_visa' },
  }
}

export const short = (e: CloudEvent) => e.type.replace(/^orderflow\./, '').replace(/\.v1$/, '')

/**
 * The orchestrator as it runs, on a database and a NATS namespace of its own. The other services
 * are simulated by the test publishing their events on the namespace's subjects; the commands
 * the saga sends are read back from the namespace's streams.
 */
export async function sagaTestbed(t: TestLike, env: Record<string, string> = {}): Promise<SagaTestbed> {
  const url = await migratedDatabase(t)
  const namespace = randomNamespace()
  const topology = createTopology(namespace)
  const nc = await connectTestNats(t)
  deleteStreamsAfter(t, nc, ...topology.streams().map((s) => s.name))
  const config = loadConfig(OrchestratorConfigSchema, {
    DATABASE_URL: url,
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_SECRETS: TEST_JWT_SECRETS.join(','),
    OUTBOX_POLL_INTERVAL_MS: '200',
    SAGA_DEADLINE_SCAN_INTERVAL_MS: '100',
    ...env,
  })
  const { ctx, close } = await openServiceContext(orchestratorService, config, createLogger({ serviceName: 'orchestrator-test', level: 'silent' }))
  t.teardown(() => close())
  await provision(ctx.bus.jsm, serviceProvisionPlan(orchestratorService, topology, 1))
  const app = buildServiceApp(orchestratorService, ctx)
  t.teardown(() => app.close())
  await app.ready()
  const publisher = createPublisher(ctx.bus)
  const started: ServiceWorkers[] = []
  t.teardown(() => Promise.all(started.map((w) => w.stop())))

  const tb: SagaTestbed = {
    app,
    orm: ctx.orm,
    ctx,
    topology,
    async startWorkers() {
      const workers = await startServiceWorkers(orchestratorService, ctx, { relay: true })
      started.push(workers)
      return workers
    },
    async publish(def, orderId, data, id) {
      const event = makeEvent(def, { source: 'orderflow/test', subject: orderId, data, ...(id ? { id } : {}) })
      await publisher.publish(event, { subject: topology.subject(def.subject) })
      return event
    },
    async createOrder(overrides = {}) {
      const orderId = overrides.orderId ?? randomUUID()
      const { orderId: _id, ...rest } = overrides
      await tb.publish(OrderCreated, orderId, { ...orderData(orderId), ...rest })
      return orderId
    },
    saga: (orderId) => ctx.orm.em.fork().findOne(Saga, { orderId }),
    untilState: (orderId, state, timeoutMs) =>
      eventually(async () => {
        const saga = await tb.saga(orderId)
        return saga?.state === state ? saga : undefined
      }, `saga ${orderId} ${state}`, timeoutMs),
    async messages(stream, orderId, part) {
      const name = topology.stream(stream)
      const info = await ctx.bus.jsm.streams.info(name)
      const found: CloudEvent[] = []
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const msg = await ctx.bus.jsm.streams.getMessage(name, { seq }).catch(() => null)
        if (!msg || !msg.subject.includes(part)) continue
        const event = msg.json<CloudEvent>()
        if (event.subject === orderId) found.push(event)
      }
      return found
    },
    auth: (roles) => ({ authorization: `Bearer ${mintToken({ roles })}` }),
  }
  return tb
}

/** The shared poller, re-exported for this service's tests. */
export { eventually }

/** Waits until the order's messages on `stream` matching `part` are exactly `expected` (short types). */
export function untilMessages(tb: SagaTestbed, stream: Parameters<SagaTestbed['messages']>[0], orderId: string, part: string, expected: string[]): Promise<CloudEvent[]> {
  let last: string[] = []
  return eventually(async () => {
    const found = await tb.messages(stream, orderId, part)
    last = found.map(short)
    return JSON.stringify(last) === JSON.stringify(expected) ? found : undefined
  }, `${stream} ${part} = ${expected.join(', ')}`).catch((error: unknown) => {
    throw new Error(`${String(error)}; last seen: ${last.join(', ')}`)
  })
}
