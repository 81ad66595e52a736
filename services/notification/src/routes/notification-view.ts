import type { INotification } from '../entities/notification.entity.js'
import type { NotificationView } from './notifications.schemas.js'

export function toNotificationView(n: INotification): NotificationView {
  return {
    id: n.id,
    orderId: n.orderId,
    kind: n.kind,
    recipient: n.recipient,
    subject: n.subject,
    body: n.body,
    status: n.status,
    attempts: n.attempts,
    ...(n.lastError ? { lastError: n.lastError } : {}),
    ...(n.sentAt ? { sentAt: n.sentAt.toISOString() } : {}),
    createdAt: n.createdAt.toISOString(),
  }
}
