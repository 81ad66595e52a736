import { protectedRoutes } from '@orderflow/http'
import { defineService } from '@orderflow/runtime'
import { NotificationConfigSchema } from './config.js'
import { ordersConsumer, sagaConsumer, shipmentsConsumer } from './consumers/consumers.js'
import { notifyHandler } from './consumers/notify.consumer.js'
import { recipientHandler } from './consumers/recipient.consumer.js'
import { notificationEntities } from './entities/entities.js'
import { mailerFromConfig } from './mail/mailer.js'
import { notificationRoutes } from './routes/notifications.routes.js'
import { SERVICE_NAME } from './service-info.js'

/** The notification service: its settings, tables, history API and the consumers that send mail. */
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
    { spec: ordersConsumer, handler: ({ orm }) => recipientHandler(orm, ordersConsumer.durable) },
    { spec: sagaConsumer, handler: ({ orm, config, logger }) => notifyHandler(orm, mailerFromConfig(config, logger), sagaConsumer.durable) },
    { spec: shipmentsConsumer, handler: ({ orm, config, logger }) => notifyHandler(orm, mailerFromConfig(config, logger), shipmentsConsumer.durable) },
  ],
})
