import { InboxMessage } from '@orderflow/db'
import { Notification } from './notification.entity.js'
import { Recipient } from './recipient.entity.js'

/** Every table of the notification database; it publishes nothing, so it has no outbox. */
export const notificationEntities = [Notification, Recipient, InboxMessage]
