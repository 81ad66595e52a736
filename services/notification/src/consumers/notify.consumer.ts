import { processOnce, type Orm } from '@orderflow/db'
import type { EventHandler } from '@orderflow/messaging'
import { noticeOf } from '../domain/notice.js'
import type { Mailer } from '../mail/mailer.js'
import { deliverNotification } from '../use-cases/deliver-notification.js'
import { recordNotification } from '../use-cases/record-notification.js'

/**
 * Handles a saga or shipment event in two steps, because a mail cannot take part in a database
 * transaction:
 *
 * 1. `processOnce`: the rendered notification (PENDING) and the inbox row commit together. The
 *    inbox guards the *recording*: a redelivery never renders or stores a second notification.
 *    An unknown recipient throws inside it, so neither row is written and the retry starts over.
 * 2. `deliverNotification`: runs on every delivery, duplicate or not, and is guarded by the
 *    notification's own status instead: PENDING or FAILED is sent (again), SENT is left alone.
 *
 * Had the inbox row waited for the send instead, a failed send would leave no trace of the
 * attempt; had it guarded the send too, a send that failed after the recording committed would
 * never be retried. This way a failed send is retried by the consumer's backoff and a sent one
 * is never repeated.
 */
export function notifyHandler(orm: Orm, mailer: Mailer, consumer: string): EventHandler {
  return async (event, ctx) => {
    const notice = noticeOf(event)
    if (!notice) {
      ctx.logger.debug('event calls for no notification; acknowledged')
      return
    }
    const recorded = await processOnce(orm, { consumer, eventId: event.id }, (em) => recordNotification(em, event.id, notice))
    const outcome = await deliverNotification(orm, mailer, event.id)
    if (outcome === 'sent') ctx.logger.info({ kind: notice.kind }, 'notification sent')
    else if (outcome === 'already-sent') ctx.logger.debug('notification already sent')
    else if (recorded.duplicate) ctx.logger.warn('event recorded in the inbox but its notification is gone; nothing sent')
  }
}
