import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { CreateShipment, isEventOf, type CloudEvent, type DataOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { transactionalBatchHandler } from '@orderflow/runtime'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { Shipment } from '../entities/shipment.entity.js'
import { createShipment, type CreateShipmentOutcome } from '../use-cases/create-shipment.js'
import type { ShipmentSchedule } from '../use-cases/schedule.js'

/**
 * Handles `fulfillment.cmd.create`: the shipment, its `picking` event and the inbox row commit
 * together, so a redelivered command changes nothing.
 */
export function createShipmentHandler(orm: Orm, consumer: string, schedule: ShipmentSchedule): EventHandler {
  return async (event, ctx) => {
    const command = commandOf(event, consumer)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => createShipment(em, command, schedule))
    if (result.duplicate) ctx.logger.debug('command already handled')
    else report(result.result, ctx.logger)
  }
}

/**
 * The same for a batch, in one transaction: the orders' existing shipments are locked together
 * in order id order first, so two batches cannot deadlock. Two creates for one order racing in
 * two transactions still meet on the primary key; the loser's batch fails and its commands are
 * then handled one by one.
 */
export function createShipmentBatchHandler(orm: Orm, consumer: string, schedule: ShipmentSchedule): BatchHandler {
  return transactionalBatchHandler({
    orm,
    consumer,
    commandOf: (event) => commandOf(event, consumer),
    lock: (em, commands) => lockShipments(em, commands.map((c) => c.orderId)),
    run: (em, command) => createShipment(em, command, schedule),
    report: (outcome, _command, { logger }) => report(outcome, logger),
  })
}

/** Locks the shipments the orders already have, in one statement and in order id order. */
export async function lockShipments(em: EntityManager, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return
  await em.find(Shipment, { orderId: { $in: [...new Set(orderIds)] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { orderId: 'asc' } })
}

function commandOf(event: CloudEvent, consumer: string): DataOf<typeof CreateShipment> {
  if (!isEventOf(CreateShipment, event)) throw new PermanentError(`${consumer} handles ${CreateShipment.type}, not ${event.type}`)
  return event.data
}

function report(outcome: CreateShipmentOutcome, logger: Logger): void {
  if (outcome === 'exists') logger.info('order already has a shipment; unchanged')
  else if (outcome === 'cancelled') logger.info('order was cancelled before its shipment was created; not shipping')
  else logger.info('shipment created')
}
