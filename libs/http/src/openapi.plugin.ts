import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'

/** Name of the bearer security scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'bearerAuth'

export interface OpenApiPluginOptions {
  title: string
  version: string
  description?: string | undefined
}

/**
 * The OpenAPI 3.1 document, built from the route schemas (TypeBox schemas are JSON Schema, so no
 * transform is needed), at `/docs/json`, with Swagger UI at `/docs`. Routes with
 * `schema: { hide: true }` (probes, metrics) stay out of it. The docs are not rate limited.
 */
const openapi: FastifyPluginAsync<OpenApiPluginOptions> = async (app, opts) => {
  await app.register(fastifySwagger, {
    openapi: {
      // 3.1, not 3.0: TypeBox emits JSON Schema 2020-12 keywords (`type: 'null'`, `const`, ...).
      openapi: '3.1.0',
      info: { title: opts.title, version: opts.version, ...(opts.description === undefined ? {} : { description: opts.description }) },
      components: {
        securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  })
  // The UI's routes in a context of their own, whose onRoute hook takes them out of the rate
  // limits: a page of static files and a cached document, not the API.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, rateLimit: false }
    })
    await docs.register(fastifySwaggerUi, { routePrefix: '/docs' })
  })
}

// fastify-plugin: @fastify/swagger collects routes through an onRoute hook, which must sit at the
// root to see the routes services register in their own contexts.
export const openapiPlugin = fp(openapi, { name: '@orderflow/http/openapi', fastify: '5.x' })
