import { randomUUID } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import type { Notice } from '../domain/notice.js'
import { Notification, type INotification } from '../entities/notification.entity.js'
import { Recipient } from '../entities/recipient.entity.js'
import { RecipientUnknownError } from '../notification.errors.js'
import { render } from '../templates/render.js'

/**
 * Renders the notice for the order's recipient and stores it PENDING under the event's id, in
 * the caller's transaction. Throws {@link RecipientUnknownError} (retryable) when the order's
 * `order.created` has not been seen yet.
 */
export async function recordNotification(em: EntityManager, eventId: string, notice: Notice): Promise<INotification> {
  const recipient = await em.findOne(Recipient, { orderId: notice.orderId })
  if (!recipient) throw new RecipientUnknownError(notice.orderId)
  const mail = render(notice)
  const now = new Date()
  return em.create(Notification, {
    id: randomUUID(),
    eventId,
    orderId: notice.orderId,
    kind: notice.kind,
    recipient: recipient.email,
    subject: mail.subject,
    body: mail.text,
    html: mail.html,
    status: 'PENDING',
    attempts: 0,
    lastError: null,
    messageId: null,
    sentAt: null,
    createdAt: now,
    updatedAt: now,
  })
}
