import { protectedRoutes } from '@orderflow/http'
import { defineService, type ServiceConfig, type ServiceContext } from '@orderflow/runtime'
import type { Static } from 'typebox'
import { NotificationConfigSchema } from './config.js'
import { ordersConsumer, sagaConsumer, shipmentsConsumer } from './consumers/consumers.js'
import { notifyBatchHandler, notifyHandler } from './consumers/notify.consumer.js'
import { recipientBatchHandler, recipientHandler } from './consumers/recipient.consumer.js'
import { notificationEntities } from './entities/entities.js'
import { mailerFromConfig, type Mailer } from './mail/mailer.js'
import { notificationRoutes } from './routes/notifications.routes.js'
import { SERVICE_NAME } from './service-info.js'

type NotificationContext = ServiceContext<Static<typeof NotificationConfigSchema> & ServiceConfig>

// One mailer per running service, shared by its consumers' handlers.
const mailers = new WeakMap<NotificationContext, Mailer>()
function mailerOf(ctx: NotificationContext): Mailer {
  let mailer = mailers.get(ctx)
  if (!mailer) mailers.set(ctx, (mailer = mailerFromConfig(ctx.config, ctx.logger)))
  return mailer
}

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
    {
      spec: ordersConsumer,
      handler: ({ orm }) => recipientHandler(orm, ordersConsumer.durable),
      batchHandler: ({ orm }) => recipientBatchHandler(orm, ordersConsumer.durable),
    },
    ...[sagaConsumer, shipmentsConsumer].map((spec) => ({
      spec,
      handler: (ctx: NotificationContext) => notifyHandler(ctx.orm, mailerOf(ctx), spec.durable),
      batchHandler: (ctx: NotificationContext) => notifyBatchHandler(ctx.orm, mailerOf(ctx), spec.durable),
    })),
  ],
})
