import { protectedRoutes } from '@orderflow/http'
import { defineService } from '@orderflow/runtime'
import { OrchestratorConfigSchema } from './config.js'
import { sagaConsumerBindings } from './consumers/saga.consumer.js'
import { startDeadlineWorker } from './deadlines/deadline-worker.js'
import { orchestratorEntities } from './entities/entities.js'
import { sagaMetrics } from './metrics/saga.metrics.js'
import { sagaRoutes } from './routes/sagas.routes.js'
import { countInFlight } from './use-cases/count-in-flight.js'
import { SERVICE_NAME } from './service-info.js'

/** The orchestrator: the order saga's consumers, its deadline worker and the operators' API (sagas, dead letters). */
export const orchestratorService = defineService({
  name: SERVICE_NAME,
  configSchema: OrchestratorConfigSchema,
  entities: orchestratorEntities,
  migrationsPath: new URL('./migrations', import.meta.url),
  openapi: { title: 'Orderflow orchestrator API', description: 'The order saga and the dead letters of every service, as operators see them.' },
  // One place for operators to handle every service's dead letters: they share the DLQ stream.
  deadLetterApi: true,
  routes: (app, { orm, registry }) => {
    // Registered with the API so /metrics shows the saga gauges even where no worker runs.
    sagaMetrics(registry, () => countInFlight(orm))
    void app.register(protectedRoutes(sagaRoutes, { orm }), { prefix: '/v1' })
  },
  consumers: sagaConsumerBindings,
  workers: async ({ orm, logger, registry, config }) =>
    config.SAGA_DEADLINE_WORKER_ENABLED
      ? [
          {
            name: 'saga deadlines',
            ...startDeadlineWorker({
              orm,
              logger,
              metrics: sagaMetrics(registry, () => countInFlight(orm)),
              stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
              intervalMs: config.SAGA_DEADLINE_SCAN_INTERVAL_MS,
              batchSize: config.SAGA_DEADLINE_BATCH_SIZE,
            }),
          },
        ]
      : [],
})
