import type { Orm } from '@orderflow/db'
import { CUSTOMER_ROLE, customerScope, problemResponse, requireAnyRole, type Plugin } from '@orderflow/http'
import { Notification } from '../entities/notification.entity.js'
import { Recipient } from '../entities/recipient.entity.js'
import { toNotificationView } from './notification-view.js'
import { ListNotificationsQuery, NotificationList } from './notifications.schemas.js'

export interface NotificationRoutesOptions {
  orm: Orm
}

/** An order has a handful of notifications at most; the cap only bounds a pathological one. */
const MAX_LISTED = 100

/**
 * The notification history API, mounted under `/v1` inside `protectedRoutes`. Staff
 * (`orders:read`) read any order's; a customer token its own orders' only, known from the
 * recipient `order.created` named (another customer's order lists nothing, as an unknown one does).
 */
export const notificationRoutes: Plugin<NotificationRoutesOptions> = async (app, { orm }) => {
  app.get(
    '/notifications',
    {
      onRequest: requireAnyRole('orders:read', CUSTOMER_ROLE),
      schema: {
        summary: "List an order's notifications, oldest first",
        description: 'What the customer was sent (or is being sent) about the order, with its delivery status.',
        tags: ['notifications'],
        querystring: ListNotificationsQuery,
        response: { 200: NotificationList, 400: problemResponse('Missing or malformed orderId') },
      },
    },
    async (request) => {
      const { orderId } = request.query
      const em = orm.em.fork()
      const own = customerScope(request.user, 'orders:read')
      if (own !== undefined && !(await em.findOne(Recipient, { orderId, customerId: own }, { fields: ['orderId'] }))) return { items: [] }
      const rows = await em.find(Notification, { orderId }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: MAX_LISTED })
      return { items: rows.map(toNotificationView) }
    },
  )
}
