import type { CloudEvent } from '@orderflow/contracts'
import { lockOrder, type BatchTx } from '@orderflow/db'
import type { Consumer, ConsumerSpec, Delivery } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { noticeOf, type Notice } from '../domain/notice.js'
import { RecipientUnknownError } from '../notification.errors.js'
import { loadRecipients, recordNotifications } from '../use-cases/notifications.sql.js'
import { notificationOf, type NewNotification } from '../use-cases/record-notification.js'
import { eventTypesOn } from './event-types.js'

export interface NotifyConsumerOptions {
  readonly logger: Logger
  /** @default the system clock */
  readonly now?: () => Date
}

/**
 * The saga's verdicts or the shipments' steps (`spec` says which), two statements a batch:
 * (1) the inbox and the recipients of the batch's orders; (2) one rendered notification per
 * event that calls for a mail, PENDING and due at once. The mail sender sends it after the
 * commit (see `send-due-mails.ts`): a mail cannot take part in a transaction, and a batch that
 * sent mail and then rolled back would send it again when re-run.
 *
 * The inbox records each event once, and `notifications.event_id` is unique: however often an
 * event arrives, it is one notification, so one mail. An event whose order's `order.created`
 * has not been seen yet (it travels on another consumer) throws {@link RecipientUnknownError}
 * before anything is written: the batch rolls back and the event is retried with the spec's
 * backoff until the recipient is known. The other events of the spec's subjects (a saga step,
 * picking, a cancelled shipment) are acknowledged without effect.
 */
export function notifyConsumer(spec: ConsumerSpec, options: NotifyConsumerOptions): Consumer<CloudEvent, BatchTx> {
  const types = eventTypesOn(spec.filterSubjects)
  const clock = options.now ?? (() => new Date())
  const logger = options.logger.child({ consumer: spec.durable })
  return {
    spec,
    accepts: (event): event is CloudEvent => types.has(event.type),
    async handle(batch, tx) {
      const mails: { delivery: Delivery; event: CloudEvent; notice: Notice }[] = []
      for (const delivery of batch) {
        const { event } = delivery
        const notice = noticeOf(event)
        if (notice) mails.push({ delivery, event, notice })
        else logger.debug({ event_id: event.id, event_type: event.type }, 'event calls for no mail; acknowledged')
      }
      const claimed = await tx.claim(loadRecipients(lockOrder(mails.map((m) => m.notice.orderId))))
      if (mails.length === 0) return
      const recipients = new Map(claimed.rows.map((r) => [r.orderId.toLowerCase(), r.email]))
      const fresh: NewNotification[] = []
      for (const { delivery, event, notice } of mails) {
        if (!claimed.isNew(event.id)) {
          logger.debug({ event_id: event.id, order_id: notice.orderId }, 'event already recorded')
          continue
        }
        const recipient = recipients.get(notice.orderId.toLowerCase())
        if (recipient === undefined) throw new RecipientUnknownError(notice.orderId)
        // Sending it later continues this event's trace.
        fresh.push(notificationOf(event.id, notice, recipient, delivery.traceContext()))
        logger.debug({ event_id: event.id, order_id: notice.orderId, kind: notice.kind }, 'notification recorded')
      }
      await recordNotifications(
        tx,
        fresh,
        mails.map((m) => m.event.id),
        clock(),
      )
    },
  }
}
