import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import { createServer } from 'node:net'
import t from 'tap'
import { openSqlDb } from '@orderflow/db'
import { createTopology, connectBus, provision } from '@orderflow/messaging'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, deleteStreamsAfter, mintToken, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'
import { serviceProvisionPlan } from '@orderflow/runtime'
import { orderService } from '../src/service.js'
import { migratedDatabase } from '@orderflow/testing/service'
import { writePriceLists } from '../src/catalog/price-lists.sql.js'
import { orderBody } from './testbed.js'

// The real entry point in a child process: SIGTERM while a request is being received.

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

const url = await migratedDatabase(t, orderService)
// The order below is priced from the list the inventory would have sent.
const seed = openSqlDb({ url, poolSize: 1, logger: createLogger({ serviceName: 't', level: 'silent' }) })
await writePriceLists([
  { sku: 'SKU-1', version: 1, prices: [{ currency: 'EUR', unitPrice: 1250 }] },
  { sku: 'SKU-2', version: 1, prices: [{ currency: 'EUR', unitPrice: 999 }] },
]).execute(seed)
await seed.destroy()
const namespace = randomNamespace()
const topology = createTopology(namespace)
deleteStreamsAfter(t, await connectTestNats(t), ...topology.streams().map((s) => s.name))
const bus = await connectBus({ servers: TEST_NATS_URL, name: 'shutdown-test', logger: createLogger({ serviceName: 't', level: 'silent' }) })
await provision(bus.jsm, serviceProvisionPlan(orderService, topology, 1))
await bus.close()

const port = await freePort()
const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=orderflow-source', new URL('../src/main.ts', import.meta.url).pathname], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_SECRETS: TEST_JWT_SECRETS.join(','),
    SHUTDOWN_DRAIN_DELAY_MS: '700',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
})
t.teardown(() => void child.kill('SIGKILL'))
const exited = once(child, 'exit') as Promise<[number | null, string | null]>

const get = async (path: string): Promise<number> => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined)
  return res?.status ?? 0
}
const deadline = Date.now() + 30_000
while ((await get('/readyz')) !== 200) {
  if (Date.now() > deadline) throw new Error('the service did not become ready')
  await new Promise((r) => setTimeout(r, 100))
}

t.test('a request in flight at SIGTERM completes; readiness turns 503 first; the process exits 0', async (t) => {
  const body = JSON.stringify(orderBody({ customerId: 'in-flight' }))
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v1/orders',
    headers: {
      authorization: `Bearer ${mintToken({ roles: ['orders:write'] })}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  })
  const response = once(req, 'response') as Promise<[IncomingMessage]>
  // Half the body is on the wire: the server is in the middle of receiving this request.
  req.write(body.slice(0, 40))
  await new Promise((r) => setTimeout(r, 150))

  child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 200))
  t.equal(await get('/readyz'), 503, 'readiness reports 503 while draining')
  t.equal(await get('/livez'), 200, 'still alive while draining')

  req.end(body.slice(40))
  const [res] = await response
  let text = ''
  for await (const chunk of res) text += String(chunk)
  t.equal(res.statusCode, 202, `the in-flight request completed: ${text.slice(0, 200)}`)

  const [code] = await exited
  t.equal(code, 0, 'clean exit')
  t.equal(await get('/livez'), 0, 'no longer listening')

  // What the order committed was published by the process before it exited (no relay sweep
  // comes that quickly): order.created and its saga's ReserveStock.
  const after = await connectBus({ servers: TEST_NATS_URL, name: 'shutdown-test-after', logger: createLogger({ serviceName: 't', level: 'silent' }) })
  t.teardown(() => after.close())
  const stored = async (stream: string) => (await after.jsm.streams.info(topology.stream(stream))).state.messages
  t.same([await stored('ORDERS'), await stored('INVENTORY')], [1, 1], 'order.created and ReserveStock were published')
})
