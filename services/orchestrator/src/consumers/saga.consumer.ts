import { processOnce } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import type { ConsumerBinding, ServiceContext } from '@orderflow/runtime'
import type { OrchestratorConfig } from '../config.js'
import { sagaMetrics } from '../metrics/saga.metrics.js'
import { sagaConsumers } from './consumers.js'
import { countInFlight } from '../use-cases/count-in-flight.js'
import { handleSagaEvent } from '../use-cases/handle-saga-event.js'
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
        if (result.kind === 'unknown-saga') throw new PermanentError(`event ${event.type} names order ${event.subject}, which has no saga`)
        return result
      }),
    )
    if (handled.duplicate) return logger.debug('event already handled')
    const result = handled.result
    metrics.record(result)
    if (result.kind === 'applied') logger.info({ state: result.state, outcome: result.outcome }, 'saga moved')
    else if (result.kind === 'remembered') logger.info('cancel for an order not seen yet; remembered')
    else logger.debug({ state: result.kind === 'ignored' ? result.state : undefined }, 'event changes nothing in this state')
  }
}

/** Every consumer of the saga with its handler, as the service declares them. */
export const sagaConsumerBindings: readonly ConsumerBinding<OrchestratorConfig>[] = sagaConsumers.map((spec) => ({
  spec,
  handler: (ctx) => sagaHandler(ctx, spec.durable),
}))
