import t from 'tap'
import { mintToken } from '@orderflow/testing'
import { defineErrors, HttpErrors, ProblemError } from '@orderflow/http'
import { buildTestServer, json } from './fixtures.js'

const PROBLEM = 'application/problem+json; charset=utf-8'

void t.test('a body that fails its schema is 400 VALIDATION_FAILED listing every field', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({
    method: 'POST',
    url: '/v1/widgets?x=1',
    payload: { name: '', items: [{ sku: 'A', quantity: 0 }, { quantity: 2 }] },
  })
  t.equal(res.statusCode, 400)
  t.equal(res.headers['content-type'], PROBLEM)
  const body = json(res)
  t.match(body, {
    type: 'urn:orderflow:problem:validation-failed',
    title: 'Request validation failed',
    status: 400,
    code: 'VALIDATION_FAILED',
    instance: '/v1/widgets',
    requestId: res.headers['x-request-id'],
  })
  t.same(
    body.errors,
    [
      { field: 'body.name', message: 'must NOT have fewer than 1 characters' },
      { field: 'body.items[0].quantity', message: 'must be >= 1' },
      { field: 'body.items[1].sku', message: 'is required' },
    ],
    'all fields at once, in JavaScript notation',
  )
  t.match(body.detail, /3 invalid fields: body\.name, body\.items\[0\]\.quantity, body\.items\[1\]\.sku/)
})

void t.test('an unknown field is refused, not silently dropped', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/v1/widgets', payload: { name: 'w', items: [{ sku: 'A', quantity: 1 }], colour: 'red' } })
  t.equal(res.statusCode, 400)
  t.match(json(res), { code: 'VALIDATION_FAILED', errors: [{ field: 'body.colour' }] })
})

void t.test('a querystring or params failure names its part of the request', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/v1/slow?ms=-5' })
  t.equal(res.statusCode, 400)
  t.same(json(res).errors, [{ field: 'querystring.ms', message: 'must be >= 0' }])
})

void t.test('the route typed from its schema answers a valid body', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/v1/widgets', payload: { name: 'w', items: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 3 }] } })
  t.equal(res.statusCode, 201)
  t.same(json(res), { name: 'w', count: 5 })
})

void t.test('malformed and empty JSON bodies are 400 MALFORMED_JSON', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  for (const payload of ['{"name": "w", ', '']) {
    const res = await app.inject({ method: 'POST', url: '/v1/widgets', headers: { 'content-type': 'application/json' }, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.headers['content-type'], PROBLEM)
    t.match(json(res), { code: 'MALFORMED_JSON', status: 400, detail: 'The request body is not valid JSON.' })
  }
})

void t.test('a body over the limit is 413 PAYLOAD_TOO_LARGE', async (t) => {
  const { app } = buildTestServer({ bodyLimit: 1024 })
  t.teardown(() => app.close())
  const payload = JSON.stringify({ name: 'x'.repeat(2000), items: [] })
  const res = await app.inject({ method: 'POST', url: '/v1/widgets', headers: { 'content-type': 'application/json' }, payload })
  t.equal(res.statusCode, 413)
  t.equal(res.headers['content-type'], PROBLEM)
  t.match(json(res), { code: 'PAYLOAD_TOO_LARGE', status: 413, detail: 'The request body exceeds 1024 bytes.' })
})

void t.test('a body that is not application/json is 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await app.inject({ method: 'POST', url: '/v1/widgets', headers: { 'content-type': type }, payload: 'name=w' })
    t.equal(res.statusCode, 415, type)
    t.equal(res.headers['content-type'], PROBLEM)
    t.match(json(res), { code: 'UNSUPPORTED_MEDIA_TYPE', detail: `Request bodies must be application/json, not ${type}.` })
  }
})

void t.test('an unknown route is 404 NOT_FOUND', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/v1/nothing-here?q=1' })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], PROBLEM)
  t.ok(res.headers['x-request-id'], 'the request id is echoed on 404 too')
  t.match(json(res), { code: 'NOT_FOUND', status: 404, detail: 'No route for GET /v1/nothing-here.', instance: '/v1/nothing-here' })
})

void t.test('an unexpected error is 500 INTERNAL without its message, which is logged with the request id', async (t) => {
  const { app, logs } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/v1/boom', headers: { 'x-request-id': 'req-boom-1' } })
  t.equal(res.statusCode, 500)
  t.equal(res.headers['content-type'], PROBLEM)
  t.same(json(res), {
    type: 'urn:orderflow:problem:internal',
    title: 'Internal server error',
    status: 500,
    code: 'INTERNAL',
    detail: 'The server failed to handle the request; quote the requestId when reporting it.',
    instance: '/v1/boom',
    requestId: 'req-boom-1',
  })
  t.notMatch(res.body, /hunter2|postgres|stack|at /, 'neither message nor stack leaks')
  const line = logs.find((l) => l.msg === 'request failed')
  t.match(line, { level: 50, reqId: 'req-boom-1', code: 'INTERNAL', err: { message: /hunter2/, stack: /Error/ } })
})

void t.test('a catalogue error keeps its status, code, detail and extension members', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const token = mintToken({ roles: ['orders:read', 'orders:write', 'orders:cancel'] })
  const notFound = await app.inject({ method: 'GET', url: '/v1/orders/missing', headers: { authorization: `Bearer ${token}` } })
  t.equal(notFound.statusCode, 404)
  t.equal(notFound.headers['content-type'], PROBLEM)
  t.same(json(notFound), {
    orderId: 'missing',
    type: 'urn:orderflow:problem:order-not-found',
    title: 'Order not found',
    status: 404,
    code: 'ORDER_NOT_FOUND',
    detail: 'There is no order missing.',
    instance: '/v1/orders/missing',
    requestId: notFound.headers['x-request-id'],
  })
  const conflict = await app.inject({ method: 'POST', url: '/v1/orders/o1/cancel', headers: { authorization: `Bearer ${token}` } })
  t.equal(conflict.statusCode, 409)
  t.match(json(conflict), { code: 'ORDER_NOT_CANCELLABLE', title: 'Order cannot be cancelled', detail: 'The order has shipped.' })
})

void t.test('another 4xx error keeps its status and message under a code derived from the status', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/v1/teapot' })
  t.equal(res.statusCode, 418)
  t.equal(res.headers['content-type'], PROBLEM)
  t.match(json(res), { code: 'HTTP_418', title: "I'm a Teapot", status: 418, detail: 'Short and stout' })
})

void t.test('errors raised before routing are problems too', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const badUrl = await app.inject({ method: 'GET', url: '/v1/things/%zz' })
  t.equal(badUrl.statusCode, 400)
  t.equal(badUrl.headers['content-type'], PROBLEM)
  t.match(json(badUrl), { code: 'BAD_REQUEST', status: 400, requestId: badUrl.headers['x-request-id'] })
  const longParam = await app.inject({ method: 'GET', url: `/v1/things/${'x'.repeat(200)}` })
  t.equal(longParam.statusCode, 414)
  t.match(json(longParam), { code: 'URI_TOO_LONG', status: 414 })
})

void t.test('defineErrors', (t) => {
  const Errors = defineErrors({ THING_GONE: { status: 410, title: 'Thing gone', type: 'https://docs.example/thing-gone' } })
  const cause = new Error('row deleted')
  const err = Errors.THING_GONE({ detail: 'gone since Monday', extra: { thingId: 't1' }, cause })
  t.ok(err instanceof ProblemError)
  t.ok(err instanceof Error)
  t.equal(err.name, 'ProblemError')
  t.equal(err.message, 'gone since Monday')
  t.equal(err.cause, cause)
  t.equal(err.code, 'THING_GONE')
  t.equal(Errors.THING_GONE.status, 410)
  t.same(err.toProblem({ instance: '/things/t1' }), {
    thingId: 't1',
    type: 'https://docs.example/thing-gone',
    title: 'Thing gone',
    status: 410,
    code: 'THING_GONE',
    detail: 'gone since Monday',
    instance: '/things/t1',
  })
  t.equal(Errors.THING_GONE().message, 'Thing gone', 'without detail the title is the message')
  t.same(HttpErrors.FORBIDDEN({ extra: { code: 'SPOOF', status: 200 } }).toProblem(), {
    code: 'FORBIDDEN',
    status: 403,
    type: 'urn:orderflow:problem:forbidden',
    title: 'Forbidden',
  }, 'extension members cannot override the standard ones')
  t.throws(() => defineErrors({ notUpper: { status: 400, title: 'x' } }), /UPPER_SNAKE_CASE/)
  t.throws(() => defineErrors({ OK_THING: { status: 200, title: 'x' } }), /not an HTTP error status/)
  t.end()
})
