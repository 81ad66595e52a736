import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { buildServer } from '@orderflow/http'
import { buildTestServer } from './fixtures.js'

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  received: string
  /** How long after the last byte we sent the server closed the connection. */
  closedAfterMs: number
}

/** Sends `text` on a new connection, sends nothing more, and waits for the server to close it. */
async function sendAndWait(port: number, text: string, limitMs = 5_000): Promise<Exchange> {
  const socket: Socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  socket.write(text)
  const sentAt = Date.now()
  const limit = setTimeout(() => socket.destroy(new Error(`the server kept the connection open for ${limitMs} ms`)), limitMs)
  try {
    await once(socket, 'close')
  } finally {
    clearTimeout(limit)
  }
  if (socket.errored && !received) throw socket.errored
  return { received, closedAfterMs: Date.now() - sentAt }
}

async function listening(t: Test, overrides: Parameters<typeof buildTestServer>[0]) {
  const { app, logs } = buildTestServer(overrides)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return { app, logs, port: address.port }
}

function problemOf(t: Test, received: string): Record<string, unknown> {
  const [head = '', body = ''] = received.split('\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  t.match(head, /\r\nContent-Type: application\/problem\+json; charset=utf-8\r\n/i)
  t.match(head, /\r\nConnection: close\r\n/i)
  return JSON.parse(body) as Record<string, unknown>
}

const timeouts = { requestTimeoutMs: 400, headersTimeoutMs: 200 }

void t.test('a body shorter than its Content-Length is cut off with 408 REQUEST_TIMEOUT, and the socket is freed', async (t) => {
  const { app, logs, port } = await listening(t, timeouts)
  const { received, closedAfterMs } = await sendAndWait(
    port,
    'POST /v1/widgets HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"w"',
  )
  t.match(problemOf(t, received), { status: 408, code: 'REQUEST_TIMEOUT', type: 'urn:orderflow:problem:request-timeout' })
  t.ok(closedAfterMs >= 300 && closedAfterMs < 2_000, `closed after ${closedAfterMs} ms: near the 400 ms limit`)
  const open = await new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))))
  t.equal(open, 0, 'the server holds no connection')
  t.ok(logs.some((l) => l.code === 'REQUEST_TIMEOUT'), 'logged')
})

void t.test('headers that never end are cut off with 408 after the headers timeout', async (t) => {
  const { port } = await listening(t, timeouts)
  const { received, closedAfterMs } = await sendAndWait(port, 'GET /livez HTTP/1.1\r\nHost: test\r\nX-Slow: ')
  t.match(problemOf(t, received), { status: 408, code: 'REQUEST_TIMEOUT' })
  t.ok(closedAfterMs >= 150 && closedAfterMs < 1_500, `closed after ${closedAfterMs} ms: near the 200 ms limit`)
})

void t.test('a handler slower than the request timeout is not cut: the limit is on receiving the request', async (t) => {
  const { port } = await listening(t, timeouts)
  const { received } = await sendAndWait(port, 'GET /v1/slow?ms=700 HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n')
  t.match(received, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(received, /\{"waited":700\}$/)
})

void t.test('a request refused before its body arrived gets one answer, and its connection closes at once', async (t) => {
  const { port } = await listening(t, timeouts)
  const { received, closedAfterMs } = await sendAndWait(
    port,
    'POST /v1/orders/1/cancel HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"reason":',
  )
  t.match(received, /^HTTP\/1\.1 401 Unauthorized\r\n/)
  t.match(received, /\r\nconnection: close\r\n/i)
  t.notMatch(received, /408/, 'no second answer')
  t.ok(closedAfterMs < 300, `closed after ${closedAfterMs} ms, not at the request timeout`)
})

void t.test('malformed HTTP is answered with a problem too', async (t) => {
  const { port } = await listening(t, timeouts)
  const { received } = await sendAndWait(port, 'NOT HTTP AT ALL\r\n\r\n')
  const [head = '', body = ''] = received.split('\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(JSON.parse(body), { status: 400, code: 'BAD_REQUEST' })
})

void t.test('a headers timeout longer than the request timeout is refused at build time', async (t) => {
  t.throws(() => buildServer({ serviceName: 'x', requestTimeoutMs: 1000, headersTimeoutMs: 2000 }), /headersTimeoutMs \(2000\) must be positive and at most requestTimeoutMs \(1000\)/)
})
