import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import Type from 'typebox'
import { TEST_JWT_SECRETS } from '@orderflow/testing'
import {
  buildServer,
  defineErrors,
  problemResponse,
  protectedRoutes,
  requireRoles,
  type App,
  type Plugin,
  type ServerOptions,
} from '@orderflow/http'

/** A catalogue as a service would declare it. */
export const OrderErrors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, title: 'Order not found' },
  ORDER_NOT_CANCELLABLE: { status: 409, title: 'Order cannot be cancelled' },
})

export const WidgetBody = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    items: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer({ minimum: 1 }) }), { minItems: 1 }),
  },
  { additionalProperties: false },
)

const Order = Type.Object({ id: Type.String(), owner: Type.String(), status: Type.String() })

/** Public routes: one with a body schema, one that fails unexpectedly, one that is slow. */
 
const publicRoutes: Plugin = async (app) => {
  app.post(
    '/widgets',
    { schema: { body: WidgetBody, response: { 201: Type.Object({ name: Type.String(), count: Type.Integer() }) } } },
    async (request, reply) => {
      // Typed from the schema: no casts.
      const count = request.body.items.reduce((n, item) => n + item.quantity, 0)
      return reply.code(201).send({ name: request.body.name, count })
    },
  )
  app.get('/boom', () => {
    throw new Error('connection to postgres://admin:hunter2@db failed')
  })
  app.get('/teapot', () => {
    throw Object.assign(new Error('Short and stout'), { statusCode: 418 })
  })
  app.get('/things/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, (request) => ({ id: request.params.id }))
  app.get('/slow', { schema: { querystring: Type.Object({ ms: Type.Integer({ minimum: 0 }) }) } }, async (request) => {
    await new Promise((resolve) => setTimeout(resolve, request.query.ms))
    return { waited: request.query.ms }
  })
}

/** Protected routes with roles and catalogue errors. */
 
const orderRoutes: Plugin<{ owner: string }> = async (app, { owner }) => {
  app.get(
    '/orders/:id',
    {
      onRequest: requireRoles('orders:read'),
      schema: {
        params: Type.Object({ id: Type.String() }),
        response: { 200: Order, 404: problemResponse('No such order') },
      },
    },
    (request) => {
      if (request.params.id === 'missing') {
        throw OrderErrors.ORDER_NOT_FOUND({ detail: 'There is no order missing.', extra: { orderId: request.params.id } })
      }
      return { id: request.params.id, owner: request.user.sub || owner, status: 'CONFIRMED' }
    },
  )
  app.post(
    '/orders/:id/cancel',
    { onRequest: requireRoles('orders:write', 'orders:cancel'), schema: { params: Type.Object({ id: Type.String() }) } },
    () => {
      throw OrderErrors.ORDER_NOT_CANCELLABLE('The order has shipped.')
    },
  )
  app.get('/me', (request) => ({ sub: request.user.sub, roles: request.user.roles }))
}

export interface TestServer {
  app: App
  logs: Record<string, unknown>[]
}

/** A pino logger whose lines are kept for assertions. */
export function captureLogger(): { logger: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      callback()
    },
  })
  return { logger: pino({ level: 'debug' }, destination), logs }
}

/** The server the tests exercise: HS256 auth with the two test secrets unless overridden. */
export function buildTestServer(overrides: Partial<ServerOptions> = {}): TestServer {
  const { logger, logs } = captureLogger()
  const app = buildServer({
    serviceName: 'http-test',
    logger,
    bodyLimit: 2048,
    auth: { hsSecrets: [...TEST_JWT_SECRETS] },
    openapi: { title: 'HTTP test API', version: '1.2.3' },
    defaultMetrics: false,
    ...overrides,
  })
  void app.register(publicRoutes, { prefix: '/v1' })
  void app.register(protectedRoutes(orderRoutes, { owner: 'nobody' }), { prefix: '/v1' })
  return { app, logs }
}

/** Parses an inject response's body as JSON, failing the test when it is not. */
export function json(res: { body: string }): Record<string, unknown> {
  return JSON.parse(res.body) as Record<string, unknown>
}
