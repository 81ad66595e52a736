import { protectedRoutes } from '@orderflow/http'
import { defineService } from '@orderflow/runtime'
import { OrderConfigSchema } from './config.js'
import { sagaConsumer, shipmentsConsumer } from './consumers/consumers.js'
import { projectionBatchHandler, projectionHandler } from './consumers/projection.consumer.js'
import { orderEntities } from './entities/entities.js'
import { startIdempotencyJanitor } from './idempotency/idempotency-janitor.js'
import { orderMetrics } from './order.metrics.js'
import { orderRoutes } from './routes/orders.routes.js'
import { SERVICE_NAME } from './service-info.js'

/** An abandoned first request holds its Idempotency-Key this long before a retry may take it. */
const IDEMPOTENCY_LEASE_SECONDS = 30

/** The order service: its settings, tables, API, consumers and jobs. */
export const orderService = defineService({
  name: SERVICE_NAME,
  configSchema: OrderConfigSchema,
  entities: orderEntities,
  migrationsPath: new URL('./migrations', import.meta.url),
  openapi: { title: 'Orderflow order API', description: 'Place, follow and cancel orders.' },
  routes: (app, { orm, config, registry }) => {
    void app.register(
      protectedRoutes(orderRoutes, {
        orm,
        idempotency: { ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS, leaseSeconds: IDEMPOTENCY_LEASE_SECONDS },
        metrics: orderMetrics(registry),
      }),
      { prefix: '/v1' },
    )
  },
  consumers: [sagaConsumer, shipmentsConsumer].map((spec) => ({
    spec,
    handler: ({ orm }) => projectionHandler(orm, spec.durable),
    batchHandler: ({ orm }) => projectionBatchHandler(orm, spec.durable),
  })),
  workers: async ({ orm, logger }) => [{ name: 'idempotency janitor', ...startIdempotencyJanitor(orm, logger) }],
})
