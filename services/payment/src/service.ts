import type { Static } from 'typebox'
import type { CloudEvent } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import { protectedRoutes } from '@orderflow/http'
import type { Consumer, ConsumerSpec } from '@orderflow/messaging'
import { defineService, type ConsumerBinding, type ServiceConfig, type ServiceContext } from '@orderflow/runtime'
import { PaymentConfigSchema } from './config.js'
import { authorizeSpec, captureSpec, refundSpec, voidSpec } from './consumers/consumer-specs.js'
import { authorizeConsumer, captureConsumer, refundConsumer, voidConsumer } from './consumers/payment-command.consumer.js'
import { paymentEntities } from './entities/entities.js'
import { resilientProviderFrom, simulatedProviderFrom } from './provider/configured-provider.js'
import type { PaymentProvider } from './provider/payment-provider.js'
import type { ResilientProvider } from './provider/resilient-provider.js'
import { FailedCallLog } from './repositories/failed-call-log.js'
import { paymentRoutes } from './routes/payments.routes.js'
import { SERVICE_NAME } from './service-info.js'
import type { CommandDeps } from './use-cases/command-deps.js'

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
  // One log of failed calls per running service too, so shutting down can wait for its writes.
  const failedCalls = new WeakMap<ServiceContext<PaymentConfig>, FailedCallLog>()
  const failedCallsFor = (ctx: ServiceContext<PaymentConfig>): FailedCallLog => {
    let log = failedCalls.get(ctx)
    if (!log) {
      log = new FailedCallLog(ctx.db, ctx.logger.child({ component: 'failed-provider-calls' }))
      failedCalls.set(ctx, log)
    }
    return log
  }
  const bind = <E extends CloudEvent>(spec: ConsumerSpec, consumer: (deps: CommandDeps) => Consumer<E, BatchTx>): ConsumerBinding<PaymentConfig> => ({
    spec,
    consumer: (ctx) => consumer({ provider: clientFor(ctx), failedCalls: failedCallsFor(ctx), logger: ctx.logger.child({ consumer: spec.durable }) }),
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
    consumers: [bind(authorizeSpec, authorizeConsumer), bind(captureSpec, captureConsumer), bind(voidSpec, voidConsumer), bind(refundSpec, refundConsumer)],
    // Stopped after the consumers: the failures they recorded last are written before the pool closes.
    workers: async (ctx) => [{ name: 'failed provider calls', stop: () => failedCallsFor(ctx).flush() }],
  })
}

export const paymentService = createPaymentService()
