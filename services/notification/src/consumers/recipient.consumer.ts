import { isEventOf, OrderCreated, type CloudEvent, type DataOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { transactionalBatchHandler } from '@orderflow/runtime'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import { loadRecipients, rememberRecipient } from '../use-cases/remember-recipient.js'

/** Handles `order.created`: the recipient and the inbox row commit together. */
export function recipientHandler(orm: Orm, consumer: string): EventHandler {
  return async (event, ctx) => {
    const order = orderOf(event, consumer)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => rememberRecipient(em, order))
    if (result.duplicate) ctx.logger.debug('event already handled')
    else if (!result.result) ctx.logger.info('recipient already known; unchanged')
  }
}

/** The same for a batch, in one transaction; an event of another type fails it (and is dead-lettered alone). */
export function recipientBatchHandler(orm: Orm, consumer: string): BatchHandler {
  return transactionalBatchHandler({
    orm,
    consumer,
    commandOf: (event) => orderOf(event, consumer),
    lock: (em, orders) => loadRecipients(em, orders.map((o) => o.orderId)),
    run: (em, order) => rememberRecipient(em, order),
  })
}

function orderOf(event: CloudEvent, consumer: string): DataOf<typeof OrderCreated> {
  if (!isEventOf(OrderCreated, event)) throw new PermanentError(`${consumer} handles ${OrderCreated.type}, not ${event.type}`)
  return event.data
}
