import type { Static } from 'typebox'
import { protectedRoutes } from '@orderflow/http'
import type { EventHandler } from '@orderflow/messaging'
import { defineService, type ConsumerBinding, type ServiceConfig, type ServiceContext } from '@orderflow/runtime'
import { PaymentConfigSchema } from './config.js'
import { authorizeConsumer, captureConsumer, refundConsumer, voidConsumer } from './consumers/consumers.js'
import { authorizeHandler, captureHandler, refundHandler, voidHandler, type CommandHandlerDeps } from './consumers/payment-command.consumer.js'
import { paymentEntities } from './entities/entities.js'
import { resilientProviderFrom, simulatedProviderFrom } from './provider/configured-provider.js'
import type { PaymentProvider } from './provider/payment-provider.js'
import type { ResilientProvider } from './provider/resilient-provider.js'
import { paymentRoutes } from './routes/payments.routes.js'
import { SERVICE_NAME } from './service-info.js'

export type PaymentConfig = Static<typeof PaymentConfigSchema> & ServiceConfig

export interface PaymentServiceOptions {
  /**
   * The provider behind the resilient client; a real provider's client would go here.
   * @default the in-process simulation, configured by the PROVIDER_* settings
   */
  provider?: (config: PaymentConfig) => PaymentProvider
}

/**
 * The payment service: its settings, tables, API and command consumers. A factory so tests can
 * put a provider of their own behind the client (and count its calls); `paymentService` is the
 * one the entry points run.
 */
export function createPaymentService(options: PaymentServiceOptions = {}) {
  // One client per running service, shared by every consumer: the breaker must see all calls.
  const clients = new WeakMap<ServiceContext<PaymentConfig>, ResilientProvider>()
  const clientFor = (ctx: ServiceContext<PaymentConfig>): ResilientProvider => {
    let client = clients.get(ctx)
    if (!client) {
      const inner = options.provider ? options.provider(ctx.config) : simulatedProviderFrom(ctx.config)
      client = resilientProviderFrom(inner, ctx.config, ctx.registry)
      clients.set(ctx, client)
    }
    return client
  }
  const bind = (spec: ConsumerBinding<PaymentConfig>['spec'], handler: (deps: CommandHandlerDeps) => EventHandler): ConsumerBinding<PaymentConfig> => ({
    spec,
    handler: (ctx) => handler({ orm: ctx.orm, provider: clientFor(ctx), consumer: spec.durable }),
  })

  return defineService({
    name: SERVICE_NAME,
    configSchema: PaymentConfigSchema,
    entities: paymentEntities,
    migrationsPath: new URL('./migrations', import.meta.url),
    openapi: { title: 'Orderflow payment API', description: "Read an order's payment and the calls made to the provider for it." },
    routes: (app, { orm }) => {
      void app.register(protectedRoutes(paymentRoutes, { orm }), { prefix: '/v1' })
    },
    consumers: [
      bind(authorizeConsumer, authorizeHandler),
      bind(captureConsumer, captureHandler),
      bind(voidConsumer, voidHandler),
      bind(refundConsumer, refundHandler),
    ],
  })
}

export const paymentService = createPaymentService()
