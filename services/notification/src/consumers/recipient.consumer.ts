import { isEventOf, OrderCreated } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import { rememberRecipient } from '../use-cases/remember-recipient.js'

/** Handles `order.created`: the recipient and the inbox row commit together. */
export function recipientHandler(orm: Orm, consumer: string): EventHandler {
  return async (event, ctx) => {
    if (!isEventOf(OrderCreated, event)) throw new PermanentError(`${consumer} handles ${OrderCreated.type}, not ${event.type}`)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => rememberRecipient(em, event.data))
    if (result.duplicate) ctx.logger.debug('event already handled')
    else if (!result.result) ctx.logger.info('recipient already known; unchanged')
  }
}
