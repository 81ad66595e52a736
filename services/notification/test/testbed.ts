import { eventually } from '@orderflow/testing/service'
import type { Static } from 'typebox'
import { loadConfig } from '@orderflow/config'
import { makeEvent, OrderCreated, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import { migrationCommand, type Orm } from '@orderflow/db'
import type { App } from '@orderflow/http'
import { createPublisher, createTopology, provision, type Bus, type ConsumerSpec, type Topology } from '@orderflow/messaging'
import { buildServiceApp, openServiceContext, serviceProvisionPlan, startServiceWorkers, type ServiceContext, type ServiceWorkers } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, mintToken, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL, type TokenOptions } from '@orderflow/testing'
import { NotificationConfigSchema } from '../src/config.js'
import { notificationEntities } from '../src/entities/entities.js'
import { notificationService } from '../src/service.js'

export type NotificationConfig = Static<typeof NotificationConfigSchema>

interface TestLike {
  teardown(fn: () => unknown): void
}

export interface NotificationTestbed {
  app: App
  orm: Orm
  config: NotificationConfig
  ctx: ServiceContext<NotificationConfig>
  bus: Bus
  topology: Topology
  auth(roles: readonly string[], opts?: Omit<TokenOptions, 'roles'>): { authorization: string }
  /** Starts the consumers (and the rest main.ts starts); stopped at teardown. */
  startWorkers(): Promise<ServiceWorkers>
  /** Publishes an event as its producer would, on its subject in this test's namespace. */
  publish(def: MessageDefinition, event: CloudEvent): Promise<unknown>
}

export const migrationsPath = new URL('../src/migrations/', import.meta.url)

/** The service as declared, with retries a test can wait for (the production backoff reaches minutes). */
const quick = (spec: ConsumerSpec): ConsumerSpec => ({ ...spec, backoffMs: [100, 200] })
const quickService: typeof notificationService = {
  ...notificationService,
  consumers: (notificationService.consumers ?? []).map((c) => ({ spec: quick(c.spec), consumer: (ctx) => ({ ...c.consumer(ctx), spec: quick(c.spec) }) })),
}

/**
 * The notification service on a fresh, migrated database and a NATS namespace of its own. Mail
 * goes to `env.SMTP_URL` (a catcher the test starts) or, without it, to the log-only transport.
 */
export async function notificationTestbed(t: TestLike, env: Record<string, string> = {}): Promise<NotificationTestbed> {
  const url = await createTestDatabase(t, 'of_notification')
  const code = await migrationCommand(['up'], { url, entities: notificationEntities, migrationsPath, out: () => undefined })
  if (code !== 0) throw new Error(`migrations failed with exit code ${code}`)

  const namespace = randomNamespace()
  const topology = createTopology(namespace)
  deleteStreamsAfter(t, await connectTestNats(t), ...topology.streams().map((s) => s.name))
  const config = loadConfig(NotificationConfigSchema, {
    DATABASE_URL: url,
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_SECRETS: TEST_JWT_SECRETS.join(','),
    SMTP_TIMEOUT_MS: '2000',
    // The sender looks often and retries soon, so a test sees a refused mail FAILED, then SENT.
    MAIL_SEND_INTERVAL_MS: '50',
    MAIL_RETRY_MIN_MS: '200',
    MAIL_RETRY_MAX_MS: '400',
    ...env,
  })
  const { ctx, close } = await openServiceContext(quickService, config, createLogger({ serviceName: 'notification-test', level: 'silent' }))
  t.teardown(() => close())
  await provision(ctx.bus.jsm, serviceProvisionPlan(quickService, topology, 1))
  const app = buildServiceApp(quickService, ctx)
  t.teardown(() => app.close())
  await app.ready()

  const publisher = createPublisher(ctx.bus)
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
    async startWorkers() {
      const workers = await startServiceWorkers(quickService, ctx)
      started.push(workers)
      return workers
    },
    publish: (def, event) => publisher.publish(event, { subject: topology.subject(def.subject) }),
  }
}

/** The test's silent logger, for consumers and senders made by hand. */
export const quietLogger = createLogger({ serviceName: 'notification-test', level: 'silent' })

/** An event of `def` about `orderId`, as the saga or fulfillment would publish it. */
export function eventOf(def: MessageDefinition, orderId: string, extra: Record<string, unknown> = {}): CloudEvent {
  return makeEvent(def, { source: 'orderflow/test', subject: orderId, data: { orderId, ...extra } })
}

/** The order service's `order.created` for `orderId`, to `email`, placed by `customerId`. */
export function orderCreated(orderId: string, email = 'ada@example.com', customerId = 'c-42'): CloudEvent {
  return eventOf(OrderCreated, orderId, { customerId, email, currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }], totalAmount: 100 })
}

/** The shared poller, re-exported for this service's tests. */
export { eventually }

/** Resolves once every consumer of the service has nothing pending or unacknowledged, and no mail is due or being sent. */
export async function settled(tb: NotificationTestbed): Promise<void> {
  await eventually(async () => {
    for (const c of quickService.consumers ?? []) {
      const spec = tb.topology.consumer(c.spec)
      const info = await tb.bus.jsm.consumers.info(spec.stream, spec.durable)
      if (info.num_pending + info.num_ack_pending > 0) return undefined
    }
    const [due] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from notifications where next_attempt_at is not null')
    return Number(due?.n) === 0 ? true : undefined
  }, 'consumers and mail sender settled')
}

export interface StoredNotification {
  kind: string
  status: string
  attempts: number
  next_attempt_at: string | null
  recipient: string
  subject: string
  last_error: string | null
  message_id: string | null
}

/** An order's notifications as stored, oldest first. */
export async function storedNotifications(orm: Orm, orderId: string): Promise<StoredNotification[]> {
  return orm.em.fork().execute<StoredNotification[]>(
    'select kind, status, attempts, next_attempt_at, recipient, subject, last_error, message_id from notifications where order_id = ? order by created_at, id',
    [orderId],
  )
}
