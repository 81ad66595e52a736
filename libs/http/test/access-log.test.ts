import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { eventually } from '@orderflow/testing/service'
import { buildTestServer } from './fixtures.js'

// First in the file: Fastify warns about a deprecated option once per process.
void t.test('building a server raises no deprecation warning', async (t) => {
  const warnings: string[] = []
  const onWarning = (warning: Error & { code?: string }) => warnings.push(`${warning.code ?? warning.name}: ${warning.message}`)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  const { app } = buildTestServer()
  await app.ready()
  await app.close()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings, [])
})

void t.test('a request the client gives up on is logged once, as aborted', async (t) => {
  const { app, logs } = buildTestServer()
  t.teardown(() => app.close())
  let arrived: () => void = () => {}
  const arrival = new Promise<void>((resolve) => (arrived = resolve))
  app.addHook('onRequest', (request, _reply, next) => {
    if (request.id === 'gave-up') arrived()
    next()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo

  const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/slow?ms=500', headers: { 'x-request-id': 'gave-up' } })
  req.on('error', () => {}) // the socket we destroy
  req.end()
  // The route waits 500 ms before it answers: the client gives up while it waits.
  await arrival
  req.destroy()

  const aborted = await eventually(() => logs.find((l) => l.reqId === 'gave-up' && l.msg === 'request aborted by the client'), 'the abort line')
  t.match(aborted, { req: { method: 'GET', url: '/v1/slow?ms=500' } })
  // Past the moment the route answers: nothing more is logged for the request.
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal(logs.filter((l) => l.reqId === 'gave-up').length, 1, 'no completion line after it')
})

void t.test('an error response is logged once, with its status', async (t) => {
  const { app, logs } = buildTestServer()
  t.teardown(() => app.close())
  await app.inject({ method: 'GET', url: '/v1/teapot', headers: { 'x-request-id': 'tea' } })
  const lines = logs.filter((l) => l.reqId === 'tea' && /^request /.test(String(l.msg)))
  t.equal(lines.length, 1)
  t.match(lines[0], { msg: 'request completed', res: { statusCode: 418 } })
})
