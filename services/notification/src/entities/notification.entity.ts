import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../domain/notice.js'

/**
 * One mail the customer is owed, rendered once and kept with its delivery status: the history
 * the API shows, and what the mail sender sends — and re-sends after a refusal, never
 * re-rendered, so every attempt is the same mail under the same Message-ID.
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
    /** When it was sent (SENT), or logged instead (LOGGED). */
    sentAt: p.datetime().nullable(),
    /**
     * When the mail sender next tries to send it: set when it is recorded and after a refused
     * attempt; null once SENT or LOGGED, or once the sender gave it up (a replay of its event sets it again).
     */
    nextAttemptAt: p.datetime().nullable(),
    /**
     * The trace context (`traceparent`…) of the event that called for the mail, so sending it —
     * later, from the mail sender — continues the order's trace. Null for rows older than it.
     */
    traceContext: p.json<Record<string, string>>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  indexes: [
    // The API lists an order's notifications oldest first.
    { properties: ['orderId', 'createdAt'] },
    // What the mail sender scans: due notifications by time. Partial, so it holds only the unsent.
    { name: 'notifications_due_idx', properties: ['nextAttemptAt'], where: 'next_attempt_at is not null' },
  ],
  checks: [
    { name: 'notifications_sent_at_check', expression: `(status in ('SENT', 'LOGGED')) = (sent_at is not null)` },
    { name: 'notifications_attempts_check', expression: `attempts >= 0` },
    // A sent (or logged) mail is never scheduled again.
    { name: 'notifications_schedule_check', expression: `(status <> 'SENT' and status <> 'LOGGED') or next_attempt_at is null` },
  ],
})

export type INotification = InferEntity<typeof Notification>
