import type { TObject } from 'typebox'
import { authOptionsFromSettings, buildServer, protectedRoutes, rateLimitsFromSettings, type App } from '@orderflow/http'
import { deadLetterRoutes } from './dead-letters.routes.js'
import type { ServiceContext } from './service-context.js'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'

/**
 * The service's API without listening: the common server (auth, rate limits, errors, probes with
 * database and NATS readiness, metrics, OpenAPI) plus the service's routes. Tests call `app.inject()`.
 */
export function buildServiceApp<C extends ServiceConfig>(def: ServiceDefinition<TObject, C>, ctx: ServiceContext<C>): App {
  const app = buildServer({
    serviceName: def.name,
    logger: ctx.logger,
    bodyLimit: ctx.config.BODY_LIMIT_BYTES,
    requestTimeoutMs: ctx.config.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: ctx.config.HEADERS_TIMEOUT_MS,
    auth: authOptionsFromSettings(ctx.config),
    rateLimits: rateLimitsFromSettings(ctx.config),
    registry: ctx.registry,
    openapi: { title: def.openapi.title, description: def.openapi.description, version: '0.1.0' },
    readiness: [
      { name: 'database', check: async () => void (await ctx.orm.em.fork().execute('select 1')) },
      {
        name: 'nats',
        check: () => {
          if (!ctx.bus.isConnected()) throw new Error('not connected to NATS')
        },
      },
    ],
  })
  def.routes?.(app, ctx)
  if (def.deadLetterApi) void app.register(protectedRoutes(deadLetterRoutes, { deadLetters: ctx.deadLetters }), { prefix: '/v1' })
  return app
}
