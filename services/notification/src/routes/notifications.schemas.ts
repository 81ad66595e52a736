import Type, { type Static } from 'typebox'
import { NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../domain/notice.js'

export const ListNotificationsQuery = Type.Object(
  { orderId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
)

export const NotificationView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  orderId: Type.String({ format: 'uuid' }),
  kind: Type.Enum(NOTIFICATION_KINDS),
  recipient: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  status: Type.Enum(NOTIFICATION_STATUSES),
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Type.Optional(Type.String()),
  sentAt: Type.Optional(Type.String({ format: 'date-time' })),
  createdAt: Type.String({ format: 'date-time' }),
})
export type NotificationView = Static<typeof NotificationView>

export const NotificationList = Type.Object({ items: Type.Array(NotificationView) })
