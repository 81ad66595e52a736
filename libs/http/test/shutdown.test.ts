import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { installShutdown, type App } from '@orderflow/http'
import { buildTestServer, captureLogger } from './fixtures.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One GET on a fresh connection; resolves with status and body, or rejects with the socket error. */
function get(port: number, path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function listen(t: Teardown, prepare?: (app: App) => void) {
  const server = buildTestServer()
  prepare?.(server.app)
  t.teardown(() => server.app.close())
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  return { ...server, port: (server.app.server.address() as AddressInfo).port }
}

void t.test('SIGTERM sequence: readyz 503, drain, close after in-flight requests, steps in order, exit 0', async (t) => {
  const events: string[] = []
  const { app, port } = await listen(t, (app) =>
    app.addHook('onResponse', async (request, reply) => {
      if (request.url.startsWith('/v1/slow')) events.push(`slow request answered ${reply.statusCode}`)
    }),
  )
  const exits: number[] = []
  const shutdown = installShutdown({
    app,
    drainDelayMs: 300,
    timeoutMs: 5000,
    signals: [],
    exit: (code) => void exits.push(code),
    steps: [
      { name: 'drain consumers', run: () => Promise.resolve(void events.push('step: drain consumers')) },
      { name: 'close orm', run: () => void events.push('step: close orm') },
    ],
  })

  t.equal((await get(port, '/readyz')).status, 200)
  const slow = get(port, '/v1/slow?ms=900')
  await sleep(100) // the slow request is in its handler

  const done = shutdown('test')
  t.equal(shutdown('again'), done, 'a second trigger joins the running shutdown')
  const ready = await get(port, '/readyz')
  events.push(`readyz ${ready.status}`)
  t.match(JSON.parse(ready.body), { code: 'SHUTTING_DOWN' })
  t.equal((await get(port, '/v1/things/a')).status, 200, 'still serving during the drain delay')

  await sleep(400) // past the drain delay: the server has stopped accepting
  await get(port, '/livez').then(
    () => events.push('new connection accepted'),
    (err: NodeJS.ErrnoException) => events.push(`new connection ${err.code}`),
  )

  t.equal(await done, 0)
  const answered = await slow
  t.equal(answered.status, 200, 'the request in flight when shutdown began completed')
  t.same(JSON.parse(answered.body), { waited: 900 })
  t.same(events, ['readyz 503', 'new connection ECONNREFUSED', 'slow request answered 200', 'step: drain consumers', 'step: close orm'])
  t.same(exits, [0])
})

void t.test('a request pipelined on a busy connection after close() gets 503 SHUTTING_DOWN and Connection: close', async (t) => {
  const { app, port } = await listen(t)
  const exits: number[] = []
  const shutdown = installShutdown({ app, signals: [], exit: (code) => void exits.push(code) })
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => (received += chunk))
  const ended = new Promise((resolve) => socket.on('close', resolve))
  socket.write('GET /v1/slow?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n')
  await sleep(100)
  const done = shutdown('test')
  await sleep(50)
  socket.write('GET /v1/things/late HTTP/1.1\r\nHost: x\r\n\r\n')
  await ended
  t.equal(await done, 0)
  const [first, second] = received.split(/(?=HTTP\/1\.1 )/)
  t.match(first, /^HTTP\/1\.1 200 OK/)
  t.match(second, /^HTTP\/1\.1 503 Service Unavailable/)
  t.match(second, /content-type: application\/problem\+json/i)
  t.match(second, /connection: close/i)
  t.match(second, /"code":"SHUTTING_DOWN"/)
})

void t.test('a failing step is logged, the next steps still run, and the exit code is 1', async (t) => {
  const { app } = await listen(t)
  const { logger, logs } = captureLogger()
  const ran: string[] = []
  const exits: number[] = []
  const shutdown = installShutdown({
    app,
    logger,
    signals: [],
    exit: (code) => void exits.push(code),
    steps: [
      { name: 'stop outbox relay', run: () => Promise.reject(new Error('relay stuck')) },
      { name: 'drain nats', run: () => void ran.push('drain nats') },
    ],
  })
  t.equal(await shutdown(), 1)
  t.same(ran, ['drain nats'])
  t.same(exits, [1])
  t.match(logs.find((l) => l.msg === 'shutdown step failed'), { step: 'stop outbox relay', err: { message: 'relay stuck' } })
})

void t.test('past timeoutMs the process exits with 1 whatever is still running', async (t) => {
  const { app } = await listen(t)
  const { logger, logs } = captureLogger()
  const exits: number[] = []
  const started = Date.now()
  const shutdown = installShutdown({
    app,
    logger,
    timeoutMs: 300,
    signals: [],
    exit: (code) => void exits.push(code),
    steps: [{ name: 'drain consumers', run: () => new Promise<void>(() => undefined) }],
  })
  t.equal(await shutdown(), 1)
  const elapsed = Date.now() - started
  t.ok(elapsed >= 290 && elapsed < 2000, `exited after ${elapsed} ms`)
  t.same(exits, [1])
  t.match(logs.find((l) => l.msg === 'shutdown timed out; exiting'), { level: 50, stage: 'drain consumers', timeoutMs: 300 })
})

void t.test('a signal starts the shutdown and the listeners go away with it', async (t) => {
  const { app } = await listen(t)
  const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') }
  const defaults = installShutdown({ app, signals: undefined, exit: () => undefined })
  t.equal(process.listenerCount('SIGTERM'), before.term + 1, 'SIGTERM by default')
  t.equal(process.listenerCount('SIGINT'), before.int + 1, 'SIGINT by default')
  t.equal(await defaults('test'), 0)
  t.equal(process.listenerCount('SIGTERM'), before.term, 'removed: a second signal gets the default behaviour')
  t.equal(process.listenerCount('SIGINT'), before.int)

  // SIGWINCH stands in for SIGTERM: tap's own SIGTERM handling must not see a real one here.
  const second = await listen(t)
  const exits: number[] = []
  const { logger, logs } = captureLogger()
  installShutdown({ app: second.app, logger, signals: ['SIGWINCH'], exit: (code) => void exits.push(code) })
  process.emit('SIGWINCH', 'SIGWINCH')
  t.ok(second.app.lifecycle.shuttingDown, 'readiness turns at once')
  while (exits.length === 0) await sleep(10)
  t.same(exits, [0])
  t.match(logs.find((l) => l.msg === 'shutting down'), { reason: 'SIGWINCH' })
  t.equal(process.listenerCount('SIGWINCH'), 0)
})
