import type { Logger } from 'pino'
import type { CloudEvent } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { transactionalBatchHandler } from '@orderflow/runtime'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import { lockOrders, projectEvent, type ProjectionResult } from '../use-cases/project-event.js'

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
      if (outcome === 'unknown-order') throw unknownOrder(event)
      return outcome
    })
    if (result.duplicate) ctx.logger.debug('event already projected')
    else report(result.result, ctx.logger)
  }
}

/**
 * The same, for a consumer that is behind: one transaction for the whole batch. The orders are
 * locked together in id order first (so two batches cannot deadlock) and the events projected
 * one after the other. An event for an unknown order fails the batch; its events are then
 * handled one by one, and that one is dead-lettered.
 */
export function projectionBatchHandler(orm: Orm, consumer: string): BatchHandler {
  return transactionalBatchHandler({
    orm,
    consumer,
    commandOf: (event) => event,
    lock: (em, events) => lockOrders(em, [...new Set(events.map((event) => event.subject))]),
    async run(em, event) {
      const outcome = await projectEvent(em, event, { alreadyLocked: true })
      if (outcome === 'unknown-order') throw unknownOrder(event)
      return outcome
    },
    report: (outcome, _event, { logger }) => report(outcome, logger),
  })
}

function unknownOrder(event: CloudEvent): PermanentError {
  return new PermanentError(`event ${event.type} names order ${event.subject}, which does not exist`)
}

function report(outcome: ProjectionResult, logger: Logger): void {
  if (outcome === 'stale') logger.info('event arrived after a later status; order unchanged')
  else if (outcome === 'ignored') logger.debug('event type has no projection; acknowledged')
}
