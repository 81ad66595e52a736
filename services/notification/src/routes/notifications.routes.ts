import type { Orm } from '@orderflow/db'
import { problemResponse, requireRoles, type Plugin } from '@orderflow/http'
import { Notification } from '../entities/notification.entity.js'
import { toNotificationView } from './notification-view.js'
import { ListNotificationsQuery, NotificationList } from './notifications.schemas.js'

export interface NotificationRoutesOptions {
  orm: Orm
}

/** An order has a handful of notifications at most; the cap only bounds a pathological one. */
const MAX_LISTED = 100

/** The notification history API, mounted under `/v1` inside `protectedRoutes`. */
export const notificationRoutes: Plugin<NotificationRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/notifications',
    {
      onRequest: requireRoles('orders:read'),
      schema: {
        summary: "List an order's notifications, oldest first",
        description: 'What the customer was sent (or is being sent) about the order, with its delivery status.',
        tags: ['notifications'],
        querystring: ListNotificationsQuery,
        response: { 200: NotificationList, 400: problemResponse('Missing or malformed orderId') },
      },
    },
    async (request) => {
      const rows = await orm.em
        .fork()
        .find(Notification, { orderId: request.query.orderId }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: MAX_LISTED })
      return { items: rows.map(toNotificationView) }
    },
  )
}
