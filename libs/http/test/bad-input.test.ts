import t from 'tap'
import Type from 'typebox'
import { buildServer } from '@orderflow/http'
import { buildTestServer, json } from './fixtures.js'

const widget = { name: 'w', items: [{ sku: 'A', quantity: 2 }] }

void t.test('a body is taken as typed: a string or a number in the wrong place is a type error, not a conversion', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const cases: [string, unknown, string][] = [
    ['"quantity": "2"', { ...widget, items: [{ sku: 'A', quantity: '2' }] }, 'body.items[0].quantity'],
    ['"name": 42', { ...widget, name: 42 }, 'body.name'],
    ['"sku": true', { ...widget, items: [{ sku: true, quantity: 2 }] }, 'body.items[0].sku'],
    ['"name": null', { ...widget, name: null }, 'body.name'],
    ['an item that is an object, not a list', { ...widget, items: { sku: 'A', quantity: 2 } }, 'body.items'],
  ]
  for (const [name, payload, field] of cases) {
    const res = await app.inject({ method: 'POST', url: '/v1/widgets', payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
    t.equal(res.statusCode, 400, name)
    t.match(json(res), { code: 'VALIDATION_FAILED', errors: [{ field }] }, name)
  }
  const typed = await app.inject({ method: 'POST', url: '/v1/widgets', payload: widget })
  t.equal(typed.statusCode, 201)
  t.same(json(typed), { name: 'w', count: 2 })
})

void t.test('query strings are still text coerced to their types', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/v1/slow?ms=1' })
  t.equal(res.statusCode, 200)
  t.same(json(res), { waited: 1 }, '"1" became the number 1')
  const bad = await app.inject({ method: 'GET', url: '/v1/slow?ms=soon' })
  t.match(json(bad), { code: 'VALIDATION_FAILED', errors: [{ field: 'querystring.ms' }] })
})

void t.test('a query string coerced to Infinity is refused: Ajv skips the integer check and the limits then', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  for (const ms of ['Infinity', '-Infinity', '1e400']) {
    const res = await app.inject({ method: 'GET', url: `/v1/slow?ms=${ms}` })
    t.equal(res.statusCode, 400, ms)
    t.match(json(res), { code: 'VALIDATION_FAILED', errors: [{ field: 'querystring.ms', message: 'must be a finite number' }] }, ms)
  }
})

void t.test('NUL or an unpaired surrogate anywhere in a request is 400 VALIDATION_FAILED naming each field', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const post = (payload: string) => app.inject({ method: 'POST', url: '/v1/widgets', payload, headers: { 'content-type': 'application/json' } })

  const nul = await post('{"name":"w\\u0000","items":[{"sku":"A","quantity":1},{"sku":"\\u0000","quantity":1}]}')
  t.equal(nul.statusCode, 400)
  t.match(json(nul), {
    code: 'VALIDATION_FAILED',
    detail: '2 invalid fields: body.name, body.items[1].sku',
    errors: [
      { field: 'body.name', message: 'must not contain NUL (U+0000)' },
      { field: 'body.items[1].sku', message: 'must not contain NUL (U+0000)' },
    ],
  })

  const surrogate = await post('{"name":"\\ud800","items":[{"sku":"A","quantity":1}]}')
  t.match(json(surrogate), { code: 'VALIDATION_FAILED', errors: [{ field: 'body.name', message: 'must not contain an unpaired UTF-16 surrogate' }] })

  const key = await post('{"name":"w","items":[{"sku":"A","quantity":1}],"x\\u0000":1}')
  t.match(json(key), { code: 'VALIDATION_FAILED', errors: [{ field: 'body["x\\u0000"]', message: 'names a property that must not contain NUL (U+0000)' }] })

  const query = await app.inject({ method: 'GET', url: '/v1/slow?ms=1&note=a%00b' })
  t.match(json(query), { code: 'VALIDATION_FAILED', errors: [{ field: 'querystring.note' }] }, 'an ignored parameter too')
  const param = await app.inject({ method: 'GET', url: '/v1/things/a%00b' })
  t.match(json(param), { code: 'VALIDATION_FAILED', errors: [{ field: 'params.id' }] })
  const encodedSurrogate = await app.inject({ method: 'GET', url: '/v1/things/%ED%A0%80' })
  t.match(json(encodedSurrogate), { status: 400, code: 'BAD_REQUEST' }, 'a surrogate percent-encoded as UTF-8 is not a URL')
})

void t.test('well-formed text of any script passes, and a deeply nested body is walked without overflowing the stack', async (t) => {
  const { app } = buildTestServer({ bodyLimit: 65_536 })
  t.teardown(() => app.close())
  const emoji = await app.inject({ method: 'POST', url: '/v1/widgets', payload: { name: 'Füße 🙂 שלום', items: [{ sku: '𝒜', quantity: 1 }] } })
  t.equal(emoji.statusCode, 201)
  const deep = `{"name":"w","items":[{"sku":"A","quantity":1}],"x":${'['.repeat(30_000)}"\\u0000"${']'.repeat(30_000)}}`
  const res = await app.inject({ method: 'POST', url: '/v1/widgets', payload: deep, headers: { 'content-type': 'application/json' } })
  t.equal(res.statusCode, 400)
  t.match(json(res), { code: 'VALIDATION_FAILED', errors: [{ message: 'must not contain NUL (U+0000)' }] })
})

void t.test('a uuid is 8-4-4-4-12 hex digits, as PostgreSQL reads it: a urn:uuid: prefix is refused', async (t) => {
  const app = buildServer({ serviceName: 'uuid-test', defaultMetrics: false, openapi: false })
  t.teardown(() => app.close())
  app.get('/ids/:id', { schema: { params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } }, (request) => ({ id: request.params.id }))
  const id = '0b6f6c1e-8a3e-4e55-9a57-3c1d2f0e9b11'
  t.equal((await app.inject({ method: 'GET', url: `/ids/${id}` })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: `/ids/${id.toUpperCase()}` })).statusCode, 200)
  for (const bad of [`urn:uuid:${id}`, `{${id}}`, id.replaceAll('-', ''), `${id}0`]) {
    const res = await app.inject({ method: 'GET', url: `/ids/${encodeURIComponent(bad)}` })
    t.match(json(res), { code: 'VALIDATION_FAILED', errors: [{ field: 'params.id' }] }, bad)
  }
})
