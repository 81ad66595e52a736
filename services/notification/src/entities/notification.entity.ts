import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../domain/notice.js'

/**
 * One mail the customer is owed, rendered once and kept with its delivery status: the history
 * the API shows, and the thing a retry re-sends (never re-rendered, so a retry sends the same mail).
 */
export const Notification = defineEntity({
  name: 'Notification',
  tableName: 'notifications',
  properties: {
    id: p.uuid().primary(),
    /** The event that called for it: one notification per event, whatever the redeliveries. */
    eventId: p.uuid().unique(),
    orderId: p.uuid(),
    kind: p.enum(NOTIFICATION_KINDS),
    recipient: p.string().length(254),
    subject: p.string().length(300),
    /** The plain-text body. */
    body: p.text(),
    /** The HTML alternative of the body. */
    html: p.text(),
    status: p.enum(NOTIFICATION_STATUSES),
    /** Sending attempts so far. */
    attempts: p.integer().default(0),
    /** Why the last attempt failed; cleared once sent. */
    lastError: p.string().length(1000).nullable(),
    /** The Message-ID the mail was sent with, to find it in the mail server's logs. */
    messageId: p.string().length(300).nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  // The API lists an order's notifications oldest first.
  indexes: [{ properties: ['orderId', 'createdAt'] }],
  checks: [
    { name: 'notifications_sent_at_check', expression: `(status = 'SENT') = (sent_at is not null)` },
    { name: 'notifications_attempts_check', expression: `attempts >= 0` },
  ],
})

export type INotification = InferEntity<typeof Notification>
