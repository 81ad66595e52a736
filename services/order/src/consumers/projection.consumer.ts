import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import { projectEvent } from '../use-cases/project-event.js'

/**
 * Handles saga outcome and shipment events for one durable consumer: the projection and the
 * inbox row commit together, so a redelivered event changes nothing.
 */
export function projectionHandler(orm: Orm, consumer: string): EventHandler {
  return async (event, ctx) => {
    const result = await processOnce(orm, { consumer, eventId: event.id }, async (em) => {
      const outcome = await projectEvent(em, event)
      // Thrown inside the transaction so the inbox row rolls back too: a replay after the cause
      // is fixed (the order restored, say) must run the projection again.
      if (outcome === 'unknown-order') throw new PermanentError(`event ${event.type} names order ${event.subject}, which does not exist`)
      return outcome
    })
    if (result.duplicate) ctx.logger.debug('event already projected')
    else if (result.result === 'stale') ctx.logger.info('event arrived after a later status; order unchanged')
    else if (result.result === 'ignored') ctx.logger.debug('event type has no projection; acknowledged')
  }
}
