import { protectedRoutes } from '@orderflow/http'
import { defineService } from '@orderflow/runtime'
import { NotificationConfigSchema } from './config.js'
import { ordersConsumer, sagaConsumer, shipmentsConsumer } from './consumers/consumers.js'
import { notifyConsumer } from './consumers/notify.consumer.js'
import { recipientConsumer } from './consumers/recipient.consumer.js'
import { notificationEntities } from './entities/entities.js'
import { mailerFromConfig } from './mail/mailer.js'
import { notificationRoutes } from './routes/notifications.routes.js'
import { startMailSender } from './sender/mail-sender.js'
import { SERVICE_NAME } from './service-info.js'

/** The notification service: its settings, tables, history API, the consumers that record mails and the sender that sends them. */
export const notificationService = defineService({
  name: SERVICE_NAME,
  configSchema: NotificationConfigSchema,
  entities: notificationEntities,
  migrationsPath: new URL('./migrations', import.meta.url),
  openapi: { title: 'Orderflow notification API', description: 'What customers were told about their orders, and whether it reached them.' },
  routes: (app, { orm }) => {
    void app.register(protectedRoutes(notificationRoutes, { orm }), { prefix: '/v1' })
  },
  consumers: [
    { spec: ordersConsumer, consumer: ({ logger }) => recipientConsumer({ logger }) },
    { spec: sagaConsumer, consumer: ({ logger }) => notifyConsumer(sagaConsumer, { logger }) },
    { spec: shipmentsConsumer, consumer: ({ logger }) => notifyConsumer(shipmentsConsumer, { logger }) },
  ],
  workers: async ({ db, config, logger }) => {
    const sender = startMailSender(
      { db, mailer: mailerFromConfig(config, logger), logger },
      {
        intervalMs: config.MAIL_SEND_INTERVAL_MS,
        batchSize: config.MAIL_SEND_BATCH_SIZE,
        policy: { minMs: config.MAIL_RETRY_MIN_MS, maxMs: config.MAIL_RETRY_MAX_MS, maxAttempts: config.MAIL_MAX_ATTEMPTS },
      },
    )
    return [{ name: 'mail sender', stop: () => sender.stop() }]
  },
})
