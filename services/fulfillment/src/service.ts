import { protectedRoutes } from '@orderflow/http'
import { defineService } from '@orderflow/runtime'
import { FulfillmentConfigSchema } from './config.js'
import { cancelShipmentConsumer } from './consumers/cancel-shipment.consumer.js'
import { cancelConsumer, createConsumer } from './consumers/consumers.js'
import { createShipmentConsumer } from './consumers/create-shipment.consumer.js'
import { fulfillmentEntities } from './entities/entities.js'
import { shipmentRoutes } from './routes/shipments.routes.js'
import { startShipmentScheduler } from './scheduler/shipment-scheduler.js'
import { SERVICE_NAME } from './service-info.js'
import type { ShipmentSchedule } from './use-cases/schedule.js'

const scheduleOf = (config: { FULFILLMENT_SHIP_AFTER_MS: number; FULFILLMENT_DELIVER_AFTER_MS: number }): ShipmentSchedule => ({
  shipAfterMs: config.FULFILLMENT_SHIP_AFTER_MS,
  deliverAfterMs: config.FULFILLMENT_DELIVER_AFTER_MS,
})

/** The fulfillment service: its settings, tables, API, command consumers and the shipment scheduler. */
export const fulfillmentService = defineService({
  name: SERVICE_NAME,
  configSchema: FulfillmentConfigSchema,
  entities: fulfillmentEntities,
  migrationsPath: new URL('./migrations', import.meta.url),
  openapi: { title: 'Orderflow fulfillment API', description: 'Follow the shipments of confirmed orders.' },
  routes: (app, { orm }) => {
    void app.register(protectedRoutes(shipmentRoutes, { orm }), { prefix: '/v1' })
  },
  consumers: [
    { spec: createConsumer, consumer: ({ config, logger }) => createShipmentConsumer({ schedule: scheduleOf(config), logger }) },
    { spec: cancelConsumer, consumer: ({ logger }) => cancelShipmentConsumer({ logger }) },
  ],
  workers: async ({ db, outbox, config, logger }) => {
    const scheduler = startShipmentScheduler(
      { db, outbox },
      {
        schedule: scheduleOf(config),
        intervalMs: config.FULFILLMENT_SCHEDULER_INTERVAL_MS,
        batchSize: config.FULFILLMENT_SCHEDULER_BATCH_SIZE,
        logger,
      },
    )
    return [{ name: 'shipment scheduler', stop: () => scheduler.stop() }]
  },
})
