import { connect, createServer } from 'node:net'
import t from 'tap'
import { buildTestServer, json } from './fixtures.js'
import { isUnavailableDependency } from '../src/unavailable.js'

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

void t.test('a dependency that refuses the connection is 503 UNAVAILABLE with Retry-After, not 500', async (t) => {
  const port = await closedPort()
  const { app, logs } = buildTestServer()
  t.teardown(() => app.close())
  // The route needs a server that is down: the real ECONNREFUSED a stopped database gives.
  app.get('/needs-a-database', async () => {
    await new Promise((resolve, reject) => connect(port, '127.0.0.1').on('connect', resolve).on('error', reject))
    return {}
  })
  const res = await app.inject({ method: 'GET', url: '/needs-a-database' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '2')
  t.match(json(res), { code: 'UNAVAILABLE', status: 503, detail: /Retry shortly/ })
  t.notOk(
    logs.some((l) => Number(l.level) >= 50),
    'logged as a warning, not as an error to page anyone about',
  )
})

void t.test('what counts as a dependency outage', async (t) => {
  const coded = (code: string) => Object.assign(new Error('x'), { code })
  for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001']) t.ok(isUnavailableDependency(coded(code)), code)
  t.ok(isUnavailableDependency(new Error('Connection terminated unexpectedly')), "pg's lost connection, which has no code")
  t.ok(isUnavailableDependency(new Error('wrapped', { cause: coded('57P01') })), 'found through the cause chain')
  t.ok(isUnavailableDependency(Object.assign(new Error('lost'), { name: 'ConnectionException' })), "MikroORM's wrapper")
  for (const code of ['23505', '57014', '40001', '22P02']) t.notOk(isUnavailableDependency(coded(code)), `${code} is not an outage`)
  t.notOk(isUnavailableDependency(new TypeError('x is undefined')))
})
