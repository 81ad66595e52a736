import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import { TEST_NATS_URL } from '@orderflow/testing'
import t from 'tap'
import { BusConnectError, connectBus } from '@orderflow/messaging'
import { captureLogger, eventually } from './fixtures/messaging.js'

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server'

void t.test('connects, reports readiness, and closes once', async (t) => {
  const { logger, lines } = captureLogger()
  const bus = await connectBus({ servers: `${TEST_NATS_URL}, ${TEST_NATS_URL}`, name: 'bus-test', logger })
  t.ok(bus.isConnected())
  t.ok((await bus.jsm.getAccountInfo()).limits, 'JetStream is reachable')
  t.ok(lines.some((l) => l.msg === 'connected to NATS'))
  await Promise.all([bus.close(), bus.close()])
  await bus.close()
  t.notOk(bus.isConnected(), 'not ready once closed')
  t.ok(bus.nc.isClosed())
})

void t.test('a dropped connection is logged, reported not ready, and restored', async (t) => {
  const { logger, lines } = captureLogger()
  const bus = await connectBus({ servers: [TEST_NATS_URL], name: 'bus-test', logger, reconnectTimeWaitMs: 50 })
  t.teardown(() => bus.close())
  const states: boolean[] = []
  const watching = (async () => {
    for await (const s of bus.nc.status()) {
      if (s.type === 'disconnect') states.push(bus.isConnected())
      if (s.type === 'reconnect') {
        states.push(bus.isConnected())
        break
      }
    }
  })()
  await bus.nc.reconnect()
  await watching
  t.same(states, [false, true], 'not ready while disconnected, ready again after')
  await eventually(() => (lines.some((l) => l.msg === 'reconnected to NATS') ? true : undefined), 2_000, 'reconnect log')
  t.ok(lines.some((l) => l.msg === 'disconnected from NATS; reconnecting' && l.level === 40))
  t.ok(bus.isConnected())
})

void t.test('a first connection that fails stops the caller with BusConnectError', async (t) => {
  const { logger } = captureLogger()
  const err = (await t.rejects(connectBus({ servers: 'nats://127.0.0.1:1', name: 'bus-test', logger }), BusConnectError)) as unknown
  t.match(err, { servers: ['nats://127.0.0.1:1'], message: /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/ })
})

void t.test('a server without JetStream is refused the same way, and the connection is closed', async (t) => {
  if (!existsSync(NATS_SERVER)) return t.pass('needs a nats-server binary', { skip: `${NATS_SERVER} not installed` })
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-m', String(port + 1)], { stdio: 'ignore' })
  t.teardown(() => void server.kill())
  const url = `nats://127.0.0.1:${port}`
  await eventually(() => connect({ servers: url }).then((nc) => nc.close().then(() => true), () => undefined), 5_000, 'a plain NATS server')
  const { logger } = captureLogger()
  const err = (await t.rejects(connectBus({ servers: url, name: 'bus-test', logger }), BusConnectError)) as unknown
  t.match(err, { cause: { name: 'JetStreamNotEnabled' } })
  const connz = (await (await fetch(`http://127.0.0.1:${port + 1}/connz`)).json()) as { num_connections: number }
  t.equal(connz.num_connections, 0, 'no connection left open')
})

void t.test('a server with users: the right user and password connect, the wrong ones are refused', async (t) => {
  if (!existsSync(NATS_SERVER)) return t.pass('needs a nats-server binary', { skip: `${NATS_SERVER} not installed` })
  const store = mkdtempSync(join(tmpdir(), 'bus-test-nats-'))
  t.teardown(() => rmSync(store, { recursive: true, force: true }))
  const port = 20_000 + Math.floor(Math.random() * 20_000)
  const server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, '--user', 'order', '--pass', 's3cret'], { stdio: 'ignore' })
  t.teardown(() => void server.kill())
  const url = `nats://127.0.0.1:${port}`
  const { logger } = captureLogger()
  const bus = await eventually(() => connectBus({ servers: url, name: 'bus-test', logger, user: 'order', pass: 's3cret' }).catch(() => undefined), 5_000, 'the server up')
  t.ok((await bus.jsm.getAccountInfo()).limits, 'connected as its user, JetStream reachable')
  await bus.close()
  await t.rejects(connectBus({ servers: url, name: 'bus-test', logger, user: 'order', pass: 'wrong' }), BusConnectError)
  await t.rejects(connectBus({ servers: url, name: 'bus-test', logger }), BusConnectError, 'no user at all')
})
