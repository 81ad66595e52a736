import { processBatchOnce, processOnce, type Orm } from '@orderflow/db'
import type { BatchHandler, EventHandler } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { noticeOf } from '../domain/notice.js'
import type { Mailer } from '../mail/mailer.js'
import { deliverNotification, deliverNotifications, type DeliveryOutcome } from '../use-cases/deliver-notification.js'
import { recordNotification } from '../use-cases/record-notification.js'
import { loadRecipients } from '../use-cases/remember-recipient.js'

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
    report(outcome, notice.kind, recorded.duplicate, ctx.logger)
  }
}

/**
 * The same two steps for a batch, each one transaction: every notification is recorded, then
 * every one is sent. Whatever fails — an unknown recipient, a refused send — fails the batch,
 * and its events go through {@link notifyHandler} one by one; the notifications already recorded
 * or sent are then recognised, so nothing is recorded or sent twice.
 */
export function notifyBatchHandler(orm: Orm, mailer: Mailer, consumer: string): BatchHandler {
  return async (deliveries) => {
    const noticed = deliveries.flatMap((delivery) => {
      const notice = noticeOf(delivery.event)
      return notice ? [{ id: delivery.event.id, delivery, notice }] : []
    })
    const recorded = await processBatchOnce(orm, consumer, noticed, async (em, fresh) => {
      await loadRecipients(em, fresh.map((n) => n.notice.orderId))
      for (const { id, delivery, notice } of fresh) await delivery.traced(() => recordNotification(em, id, notice))
      return new Set(fresh.map((n) => n.id))
    })
    const outcomes = await deliverNotifications(
      orm,
      mailer,
      noticed.map(({ id, delivery }) => ({ eventId: id, traced: delivery.traced })),
    )
    noticed.forEach(({ id, delivery, notice }, i) => report(outcomes[i] ?? 'missing', notice.kind, !recorded.has(id), delivery.context.logger))
  }
}

function report(outcome: DeliveryOutcome, kind: string, duplicate: boolean, logger: Logger): void {
  if (outcome === 'sent') logger.info({ kind }, 'notification sent')
  else if (outcome === 'already-sent') logger.debug('notification already sent')
  else if (duplicate) logger.warn('event recorded in the inbox but its notification is gone; nothing sent')
}

