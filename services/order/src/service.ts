import { protectedRoutes } from '@orderflow/http'
import { defineService, type ConsumerBinding } from '@orderflow/runtime'
import { OrderConfigSchema, type OrderConfig } from './config.js'
import type { SagaTimings } from './saga/saga.js'
import { orderEntities } from './entities/entities.js'
import { startIdempotencyJanitor } from './idempotency/idempotency-janitor.js'
import { orderMetrics } from './order.metrics.js'
import { orderRoutes } from './routes/orders.routes.js'
import { priceBook } from './catalog/price-book.js'
import { countInFlight } from './saga/count-in-flight.js'
import { startDeadlineSweep } from './saga/saga-deadlines.js'
import { sagaReplies, sagaReplySpecs } from './saga/saga-replies.consumer.js'
import { sagaMetrics } from './saga/saga.metrics.js'
import { SERVICE_NAME } from './service-info.js'

/** An abandoned first request holds its Idempotency-Key this long before a retry may take it. */
const IDEMPOTENCY_LEASE_SECONDS = 30

/**
 * The order service: the order API and each order's saga beside it — the saga starts in the
 * order's own transaction, the participants' replies move it together with the order's status and
 * timeline, its deadlines are swept here — plus the operators' dead-letter API.
 */
export const orderService = defineService({
  name: SERVICE_NAME,
  configSchema: OrderConfigSchema,
  entities: orderEntities,
  migrationsPath: new URL('./migrations', import.meta.url),
  openapi: { title: 'Orderflow order API', description: "Place, follow and cancel orders; follow each order's saga." },
  // One place for operators to handle every service's dead letters: they share the DLQ stream.
  deadLetterApi: true,
  routes: (app, { orm, db, outbox, config, registry }) => {
    void app.register(
      protectedRoutes(orderRoutes, {
        orm,
        db,
        outbox,
        idempotency: { ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS, leaseSeconds: IDEMPOTENCY_LEASE_SECONDS },
        metrics: orderMetrics(registry),
        // Registered with the API so /metrics shows the saga gauges even where no worker runs.
        sagaMetrics: sagaMetrics(registry, () => countInFlight(db)),
        timings: sagaTimings(config),
        prices: priceBook({ db, ttlMs: config.PRICE_CACHE_TTL_MS }),
      }),
      { prefix: '/v1' },
    )
  },
  consumers: sagaReplySpecs.map((spec): ConsumerBinding<OrderConfig> => ({
    spec,
    consumer: ({ db, registry, config, logger }) =>
      sagaReplies(spec, { timings: sagaTimings(config), metrics: sagaMetrics(registry, () => countInFlight(db)), logger }),
  })),
  workers: async ({ orm, db, outbox, logger, registry, config }) => [
    { name: 'idempotency janitor', ...startIdempotencyJanitor(orm, logger) },
    ...(config.SAGA_DEADLINE_WORKER_ENABLED
      ? [
          {
            name: 'saga deadlines',
            ...startDeadlineSweep({
              db,
              outbox,
              logger,
              metrics: sagaMetrics(registry, () => countInFlight(db)),
              timings: sagaTimings(config),
              intervalMs: config.SAGA_DEADLINE_SCAN_INTERVAL_MS,
              batchSize: config.SAGA_DEADLINE_BATCH_SIZE,
            }),
          },
        ]
      : []),
  ],
})

const sagaTimings = (config: OrderConfig): SagaTimings => ({ stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS, giveUpAfterMs: config.SAGA_GIVE_UP_MS })
