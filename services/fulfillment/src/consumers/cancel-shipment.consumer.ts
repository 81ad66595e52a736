import { CancelShipment, isEventOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import { cancelShipment } from '../use-cases/cancel-shipment.js'

/**
 * Handles `fulfillment.cmd.cancel`: the new status, the answer and the inbox row commit
 * together, so a redelivered command is neither applied nor answered twice.
 */
export function cancelShipmentHandler(orm: Orm, consumer: string): EventHandler {
  return async (event, ctx) => {
    if (!isEventOf(CancelShipment, event)) throw new PermanentError(`${consumer} handles ${CancelShipment.type}, not ${event.type}`)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => cancelShipment(em, event.data.orderId))
    if (result.duplicate) ctx.logger.debug('command already handled')
    else ctx.logger.info({ outcome: result.result }, 'cancel handled')
  }
}
