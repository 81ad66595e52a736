import type { Logger } from 'pino'
import { processOnce } from '@orderflow/db'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import { transactionalBatchHandler, type ConsumerBinding, type ServiceContext } from '@orderflow/runtime'
import type { CloudEvent } from '@orderflow/contracts'
import type { OrchestratorConfig } from '../config.js'
import { sagaMetrics, type SagaMetrics } from '../metrics/saga.metrics.js'
import { sagaConsumers } from './consumers.js'
import { lockOrders } from '../use-cases/apply-input.js'
import { countInFlight } from '../use-cases/count-in-flight.js'
import { handleSagaEvent } from '../use-cases/handle-saga-event.js'
import { lockSagas } from '../use-cases/lock-sagas.js'
import type { SagaResult } from '../use-cases/saga-result.js'
import { retryConflicts } from './retry-conflicts.js'

/**
 * Handles the events of one durable consumer: the saga's move, its outbox messages and the
 * inbox row commit together, so a redelivered event changes nothing.
 */
export function sagaHandler(ctx: ServiceContext<OrchestratorConfig>, consumer: string): EventHandler {
  const metrics = sagaMetrics(ctx.registry, () => countInFlight(ctx.orm))
  return async (event, { logger }) => {
    const handled = await retryConflicts(() =>
      processOnce(ctx.orm, { consumer, eventId: event.id }, async (em) => {
        const result = await handleSagaEvent(em, event, { now: new Date(), stepTimeoutMs: ctx.config.SAGA_STEP_TIMEOUT_MS })
        // Thrown inside the transaction so the inbox row rolls back too: a replay once the saga
        // exists (its order.created replayed, say) must be handled.
        if (result.kind === 'unknown-saga') throw unknownSaga(event)
        return result
      }),
    )
    if (handled.duplicate) return logger.debug('event already handled')
    report(metrics, handled.result, logger)
  }
}

/**
 * The same, for a consumer that is behind: one transaction for the whole batch. The orders'
 * locks are taken first, together and in key order, so batches of different consumers wait for
 * each other instead of deadlocking; their sagas are then read and row-locked in one query (see
 * `lockSagas`), and the events applied one after the other, each in its own span. An event the single handler would refuse
 * (no saga) fails the batch, and its events are then handled one by one.
 */
export function sagaBatchHandler(ctx: ServiceContext<OrchestratorConfig>, consumer: string): BatchHandler {
  const metrics = sagaMetrics(ctx.registry, () => countInFlight(ctx.orm))
  return transactionalBatchHandler({
    orm: ctx.orm,
    consumer,
    commandOf: (event) => event,
    async lock(em, events) {
      const orderIds = [...new Set(events.map((event) => event.subject))]
      await lockOrders(em, orderIds)
      await lockSagas(em, orderIds)
    },
    async run(em, event) {
      const result = await handleSagaEvent(em, event, { now: new Date(), stepTimeoutMs: ctx.config.SAGA_STEP_TIMEOUT_MS })
      if (result.kind === 'unknown-saga') throw unknownSaga(event)
      return result
    },
    report: (result, _event, { logger }) => report(metrics, result, logger),
  })
}

function unknownSaga(event: CloudEvent): PermanentError {
  return new PermanentError(`event ${event.type} names order ${event.subject}, which has no saga`)
}

function report(metrics: SagaMetrics, result: SagaResult, logger: Logger): void {
  metrics.record(result)
  if (result.kind === 'applied') logger.info({ state: result.state, outcome: result.outcome }, 'saga moved')
  else if (result.kind === 'remembered') logger.info('cancel for an order not seen yet; remembered')
  else logger.debug({ state: result.kind === 'ignored' ? result.state : undefined }, 'event changes nothing in this state')
}

/** Every consumer of the saga with its handlers, as the service declares them. */
export const sagaConsumerBindings: readonly ConsumerBinding<OrchestratorConfig>[] = sagaConsumers.map((spec) => ({
  spec,
  handler: (ctx) => sagaHandler(ctx, spec.durable),
  batchHandler: (ctx) => sagaBatchHandler(ctx, spec.durable),
}))
