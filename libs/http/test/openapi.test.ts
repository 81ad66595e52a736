import t from 'tap'
import { ProblemSchema } from '@orderflow/http'
import { buildTestServer, json, WidgetBody } from './fixtures.js'

/** The value at `path` inside a parsed JSON document, or undefined. */
function dig(value: unknown, ...path: string[]): unknown {
  let node = value
  for (const key of path) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
  return node
}

/** Every `$ref` in the document, which must each point inside it. */
function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, found)
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') found.push(v)
      else refs(v, found)
    }
  }
  return found
}

const asJson = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema))

void t.test('/docs/json is an OpenAPI 3.1 document of the routes and their schemas', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const doc = json(res)

  t.equal(doc.openapi, '3.1.0')
  t.same(doc.info, { title: 'HTTP test API', version: '1.2.3' })
  t.same(dig(doc, 'components', 'securitySchemes'), { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } })

  const paths = dig(doc, 'paths')
  t.same(Object.keys(paths ?? {}).sort(), [
    '/v1/boom',
    '/v1/me',
    '/v1/orders/{id}',
    '/v1/orders/{id}/cancel',
    '/v1/slow',
    '/v1/teapot',
    '/v1/things/{id}',
    '/v1/widgets',
  ], 'the service routes; probes, metrics and docs are hidden')

  t.same(dig(paths, '/v1/widgets', 'post', 'requestBody', 'content', 'application/json', 'schema'), asJson(WidgetBody), 'the TypeBox body schema, as is')
  t.match(dig(paths, '/v1/widgets', 'post'), {
    requestBody: { required: true },
    responses: { 201: { content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' }, count: { type: 'integer' } } } } } } },
  })
  t.equal(dig(paths, '/v1/widgets', 'post', 'security'), undefined, 'public routes carry no security requirement')

  const getOrder = dig(paths, '/v1/orders/{id}', 'get')
  t.same(dig(getOrder, 'security'), [{ bearerAuth: ['orders:read'] }], 'protected routes name the scheme and their roles')
  t.match(dig(getOrder, 'parameters'), [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }])
  for (const status of ['401', '403', '404']) {
    t.same(dig(getOrder, 'responses', status, 'content', 'application/problem+json', 'schema'), asJson(ProblemSchema), `${status} is documented as a problem`)
  }
  t.match(dig(getOrder, 'responses', '403', 'description'), /orders:read/)
  t.same(dig(paths, '/v1/orders/{id}/cancel', 'post', 'security'), [{ bearerAuth: ['orders:write', 'orders:cancel'] }])
  t.same(dig(paths, '/v1/me', 'get', 'security'), [{ bearerAuth: [] }], 'a protected route without roles needs a token only')
  t.equal(dig(paths, '/v1/me', 'get', 'responses', '403'), undefined, 'and documents no 403')

  for (const path of Object.keys(paths ?? {})) {
    const item = dig(paths, path)
    for (const method of Object.keys(item ?? {})) {
      t.ok(Object.keys(dig(item, method, 'responses') ?? {}).length > 0, `${method} ${path} has responses`)
    }
  }
  for (const ref of refs(doc)) t.ok(dig(doc, ...ref.replace(/^#\//, '').split('/')), `${ref} resolves`)
})

void t.test('/docs serves Swagger UI', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /swagger-ui/i)
})

void t.test('openapi: false leaves the docs out', async (t) => {
  const { app } = buildTestServer({ openapi: false })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 404)
})
