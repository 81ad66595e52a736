import { protectedRoutes } from '@orderflow/http'
import { defineService } from '@orderflow/runtime'
import { InventoryConfigSchema } from './config.js'
import { commitStockConsumer } from './consumers/commit-stock.consumer.js'
import { commitConsumer, releaseConsumer, reserveConsumer } from './consumers/consumers.js'
import { releaseStockConsumer } from './consumers/release-stock.consumer.js'
import { reserveStockConsumer } from './consumers/reserve-stock.consumer.js'
import { inventoryEntities } from './entities/entities.js'
import { startExpiryWorker } from './expiry/expiry-worker.js'
import { inventoryMetrics } from './inventory.metrics.js'
import { inventoryRoutes } from './routes/inventory.routes.js'
import { priceRoutes } from './routes/prices.routes.js'
import { SERVICE_NAME } from './service-info.js'

/** The inventory service: its settings, tables, API (stock, prices, reservations), consumers and expiry worker. */
export const inventoryService = defineService({
  name: SERVICE_NAME,
  configSchema: InventoryConfigSchema,
  entities: inventoryEntities,
  migrationsPath: new URL('./migrations', import.meta.url),
  openapi: { title: 'Orderflow inventory API', description: 'Stock and prices per SKU, reservations per order.' },
  routes: (app, { orm, outbox }) => {
    void app.register(protectedRoutes(inventoryRoutes, { orm }), { prefix: '/v1' })
    void app.register(protectedRoutes(priceRoutes, { orm, outbox }), { prefix: '/v1' })
  },
  consumers: [
    {
      spec: reserveConsumer,
      consumer: ({ logger, registry, config }) =>
        reserveStockConsumer({
          logger: logger.child({ consumer: reserveConsumer.durable }),
          metrics: inventoryMetrics(registry),
          ttlSeconds: config.RESERVATION_TTL_SECONDS,
        }),
    },
    {
      spec: releaseConsumer,
      consumer: ({ logger, registry }) => releaseStockConsumer({ logger: logger.child({ consumer: releaseConsumer.durable }), metrics: inventoryMetrics(registry) }),
    },
    {
      spec: commitConsumer,
      consumer: ({ logger, registry }) => commitStockConsumer({ logger: logger.child({ consumer: commitConsumer.durable }), metrics: inventoryMetrics(registry) }),
    },
  ],
  workers: async ({ orm, outbox, logger, registry, config }) => [
    startExpiryWorker({ orm, outbox }, logger.child({ component: 'reservation-expiry' }), inventoryMetrics(registry), {
      intervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
      batchSize: config.RESERVATION_SWEEP_BATCH_SIZE,
    }),
  ],
})
