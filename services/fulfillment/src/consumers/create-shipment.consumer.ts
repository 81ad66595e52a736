import { CreateShipment, isEventOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import { createShipment } from '../use-cases/create-shipment.js'
import type { ShipmentSchedule } from '../use-cases/schedule.js'

/**
 * Handles `fulfillment.cmd.create`: the shipment, its `picking` event and the inbox row commit
 * together, so a redelivered command changes nothing.
 */
export function createShipmentHandler(orm: Orm, consumer: string, schedule: ShipmentSchedule): EventHandler {
  return async (event, ctx) => {
    if (!isEventOf(CreateShipment, event)) throw new PermanentError(`${consumer} handles ${CreateShipment.type}, not ${event.type}`)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => createShipment(em, event.data, schedule))
    if (result.duplicate) ctx.logger.debug('command already handled')
    else if (result.result === 'exists') ctx.logger.info('order already has a shipment; unchanged')
    else if (result.result === 'cancelled') ctx.logger.info('order was cancelled before its shipment was created; not shipping')
    else ctx.logger.info('shipment created')
  }
}
