import { randomUUID } from 'node:crypto'
import type { Notice, NotificationKind } from '../domain/notice.js'
import { render } from '../templates/render.js'

/** A notification as the consumer records it: rendered once, PENDING, due at once. */
export interface NewNotification {
  readonly id: string
  readonly eventId: string
  readonly orderId: string
  readonly kind: NotificationKind
  readonly recipient: string
  readonly subject: string
  readonly body: string
  readonly html: string
  /** The trace context of the event that called for it; sending the mail continues that trace. */
  readonly traceContext: Readonly<Record<string, string>>
}

/** Renders the notice for the order's recipient, as the mail the event owes the customer. */
export function notificationOf(eventId: string, notice: Notice, recipient: string, traceContext: Readonly<Record<string, string>>): NewNotification {
  const mail = render(notice)
  return { id: randomUUID(), eventId, orderId: notice.orderId, kind: notice.kind, recipient, subject: mail.subject, body: mail.text, html: mail.html, traceContext }
}
