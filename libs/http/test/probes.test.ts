import t from 'tap'
import { buildServer } from '@orderflow/http'
import { buildTestServer, json } from './fixtures.js'

const PROBLEM = 'application/problem+json; charset=utf-8'

void t.test('/livez answers 200 while the process runs', async (t) => {
  const { app } = buildTestServer({ readiness: [{ name: 'database', check: () => Promise.reject(new Error('down')) }] })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/livez' })
  t.equal(res.statusCode, 200, 'liveness does not depend on the dependencies')
  t.same(json(res), { status: 'ok' })
})

void t.test('/readyz is 200 with every check passing', async (t) => {
  const calls: string[] = []
  const { app } = buildTestServer({
    readiness: [
      { name: 'database', check: () => void calls.push('database') },
      { name: 'nats', check: () => void calls.push('nats') },
    ],
  })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 200)
  t.same(json(res), { status: 'ok', checks: { database: 'ok', nats: 'ok' } })
  t.same(calls.sort(), ['database', 'nats'])
})

void t.test('/readyz is 503 NOT_READY naming the failing checks, whose errors are logged only', async (t) => {
  const { app, logs } = buildTestServer({
    readinessTimeoutMs: 100,
    readiness: [
      { name: 'database', check: () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:5432')) },
      { name: 'nats', check: () => new Promise<void>(() => undefined) },
      {
        name: 'cache',
        check: () => {
          throw new Error('sync failure')
        },
      },
      { name: 'disk', check: () => Promise.resolve() },
    ],
  })
  t.teardown(() => app.close())
  const started = Date.now()
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.ok(Date.now() - started < 1000, 'a hanging check is cut off by the timeout')
  t.equal(res.statusCode, 503)
  t.equal(res.headers['content-type'], PROBLEM)
  const body = json(res)
  t.match(body, {
    code: 'NOT_READY',
    status: 503,
    detail: 'Failing: database (failed), nats (timed out), cache (failed).',
    checks: { database: 'failed', nats: 'timed out', cache: 'failed', disk: 'ok' },
  })
  t.notMatch(res.body, /ECONNREFUSED|10\.0\.0\.7/, 'the driver message stays out of the public answer')
  t.match(logs.find((l) => l.check === 'database'), { level: 40, msg: 'readiness check failed', err: { message: /ECONNREFUSED/ } })
})

void t.test('/readyz is 503 SHUTTING_DOWN as soon as shutdown begins, without running the checks', async (t) => {
  let calls = 0
  const { app } = buildTestServer({ readiness: [{ name: 'database', check: () => void calls++ }] })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  app.lifecycle.beginShutdown()
  const res = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['content-type'], PROBLEM)
  t.match(json(res), { code: 'SHUTTING_DOWN', status: 503 })
  t.equal(calls, 1)
  t.equal((await app.inject({ method: 'GET', url: '/livez' })).statusCode, 200, 'still alive while draining')
  t.equal((await app.inject({ method: 'GET', url: '/v1/things/a' })).statusCode, 200, 'still serving while draining')
})

void t.test('readiness check names must be unique', async (t) => {
  const app = buildServer({ serviceName: 'dup', defaultMetrics: false, readiness: [{ name: 'db', check: () => undefined }, { name: 'db', check: () => undefined }] })
  await t.rejects(async () => void (await app.ready()), /"db" is declared twice/)
  await app.close()
})
