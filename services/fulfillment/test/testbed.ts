import { eventually, handleBatch } from '@orderflow/testing/service'
import type { Static } from 'typebox'
import { loadConfig } from '@orderflow/config'
import { CancelShipment, CreateShipment, makeEvent, type DataOf } from '@orderflow/contracts'
import { migrationCommand, type Orm } from '@orderflow/db'
import type { App } from '@orderflow/http'
import { createTopology, provision, type Bus, type Topology } from '@orderflow/messaging'
import { buildServiceApp, openServiceContext, serviceProvisionPlan, startServiceWorkers, type ServiceContext, type ServiceWorkers, type WorkerOverrides } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, mintToken, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL, type TokenOptions } from '@orderflow/testing'
import { FulfillmentConfigSchema } from '../src/config.js'
import { fulfillmentEntities } from '../src/entities/entities.js'
import { cancelShipmentConsumer, type CancelShipmentEvent } from '../src/consumers/cancel-shipment.consumer.js'
import { createShipmentConsumer, type CreateShipmentEvent } from '../src/consumers/create-shipment.consumer.js'
import { fulfillmentService } from '../src/service.js'
import type { ShipmentSchedule } from '../src/use-cases/schedule.js'

export type FulfillmentConfig = Static<typeof FulfillmentConfigSchema>

interface TestLike {
  teardown(fn: () => unknown): void
}

export interface FulfillmentTestbed {
  app: App
  orm: Orm
  config: FulfillmentConfig
  ctx: ServiceContext<FulfillmentConfig>
  bus: Bus
  topology: Topology
  /** A bearer header for a token with the given roles (and other options). */
  auth(roles: readonly string[], opts?: Omit<TokenOptions, 'roles'>): { authorization: string }
  /** Starts the relay, consumers and scheduler as main.ts does; stopped at teardown (if not before). */
  startWorkers(overrides?: WorkerOverrides): Promise<ServiceWorkers>
}

export const migrationsPath = new URL('../src/migrations/', import.meta.url)

/**
 * The fulfillment service as it runs, on a fresh, migrated database of its own and a NATS
 * namespace of its own (streams and consumers provisioned), with quick simulated steps.
 * Nothing runs in the background until `startWorkers`.
 */
export async function fulfillmentTestbed(t: TestLike, env: Record<string, string> = {}): Promise<FulfillmentTestbed> {
  const url = await createTestDatabase(t, 'of_fulfillment')
  const code = await migrationCommand(['up'], { url, entities: fulfillmentEntities, migrationsPath, out: () => undefined })
  if (code !== 0) throw new Error(`migrations failed with exit code ${code}`)

  const namespace = randomNamespace()
  const topology = createTopology(namespace)
  deleteStreamsAfter(t, await connectTestNats(t), ...topology.streams().map((s) => s.name))
  const config = loadConfig(FulfillmentConfigSchema, {
    DATABASE_URL: url,
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_SECRETS: TEST_JWT_SECRETS.join(','),
    OUTBOX_POLL_INTERVAL_MS: '200',
    FULFILLMENT_SHIP_AFTER_MS: '150',
    FULFILLMENT_DELIVER_AFTER_MS: '150',
    FULFILLMENT_SCHEDULER_INTERVAL_MS: '50',
    ...env,
  })
  const { ctx, close } = await openServiceContext(fulfillmentService, config, createLogger({ serviceName: 'fulfillment-test', level: 'silent' }))
  t.teardown(() => close())
  await provision(ctx.bus.jsm, serviceProvisionPlan(fulfillmentService, topology, 1))
  const app = buildServiceApp(fulfillmentService, ctx)
  t.teardown(() => app.close())
  await app.ready()

  const started: ServiceWorkers[] = []
  t.teardown(() => Promise.all(started.map((w) => w.stop())))
  return {
    app,
    orm: ctx.orm,
    config,
    ctx,
    bus: ctx.bus,
    topology,
    auth: (roles, opts = {}) => ({ authorization: `Bearer ${mintToken({ ...opts, roles })}` }),
    async startWorkers(overrides = {}) {
      const workers = await startServiceWorkers(fulfillmentService, ctx, overrides)
      // A test may stop them itself (a restart); teardown then waits for that same stop.
      let stopping: Promise<void> | undefined
      const once: ServiceWorkers = { stop: () => (stopping ??= workers.stop()) }
      started.push(once)
      return once
    },
  }
}

/** The shared poller, re-exported for this service's tests. */
export { eventually }

/** The types of the events an order's outbox rows hold, oldest first. */
export async function outboxTypes(orm: Orm, orderId: string): Promise<string[]> {
  const rows = await orm.em.fork().execute<{ type: string }[]>(`select type from outbox where payload->>'subject' = ? order by seq`, [orderId])
  return rows.map((r) => r.type)
}

/** A valid CreateShipment payload for `orderId`. */
export function createCommand(orderId: string, overrides: Partial<DataOf<typeof CreateShipment>> = {}): DataOf<typeof CreateShipment> {
  return {
    orderId,
    customerId: 'c-42',
    items: [
      { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
      { sku: 'SKU-2', quantity: 1, unitPrice: 999 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    ...overrides,
  }
}

/** The saga's `fulfillment.cmd.create` for `orderId`. */
export function createShipmentCommand(orderId: string, overrides: Partial<DataOf<typeof CreateShipment>> = {}): CreateShipmentEvent {
  return makeEvent(CreateShipment, { source: 'orderflow/test', subject: orderId, data: createCommand(orderId, overrides) })
}

/** The saga's `fulfillment.cmd.cancel` for `orderId`. */
export function cancelShipmentCommand(orderId: string): CancelShipmentEvent {
  return makeEvent(CancelShipment, { source: 'orderflow/test', subject: orderId, data: { orderId } })
}

/**
 * Creates each order's shipment through the create consumer, one batch, as if its commands had
 * arrived at `now` (so a shipment can be made due in the past). Returns the order ids.
 */
export async function createShipments(tb: FulfillmentTestbed, orderIds: readonly string[], schedule: ShipmentSchedule, now = new Date()): Promise<string[]> {
  const consumer = createShipmentConsumer({ schedule, logger: tb.ctx.logger, now: () => now })
  await handleBatch(tb.ctx, consumer, orderIds.map((id) => createShipmentCommand(id)))
  return [...orderIds]
}

/** Cancels each order's shipment through the cancel consumer, one batch. */
export async function cancelShipments(tb: FulfillmentTestbed, orderIds: readonly string[]): Promise<void> {
  await handleBatch(tb.ctx, cancelShipmentConsumer({ logger: tb.ctx.logger }), orderIds.map(cancelShipmentCommand))
}

/** An order's shipment and what was put in the outbox about it: what two ways of handling commands must agree on. */
export async function shipmentOutcome(tb: FulfillmentTestbed, orderId: string) {
  const [row] = await tb.orm.em
    .fork()
    .execute<{ status: string; items: { sku: string }[] | null; next_step_at: Date | null }[]>('select status, items, next_step_at from shipments where order_id = ?', [orderId])
  return {
    status: row?.status,
    skus: row?.items?.map((i) => i.sku) ?? null,
    scheduled: row ? row.next_step_at !== null : undefined,
    events: await outboxTypes(tb.orm, orderId),
  }
}
