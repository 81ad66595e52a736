import { randomBytes } from 'node:crypto'
import t from 'tap'
import pg from 'pg'
import { pino } from 'pino'
import { connectBus, createTopology, provision } from '@orderflow/messaging'
import { removeSandbox, sandboxEnv, type Sandbox } from '../src/intake-sandbox.js'

// The servers every test uses (see @orderflow/testing); this package does not depend on it.
const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const pgUrlBase = TEST_PG_ADMIN_URL.replace(/\/[^/]*$/, '')
const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL })
  await admin.connect()
  try {
    return (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1
  } finally {
    await admin.end()
  }
}

t.test('removeSandbox deletes the namespace streams and the service databases, and may run twice', async (t) => {
  const id = randomBytes(5).toString('hex')
  const sandbox: Sandbox = { services: ['order'], namespace: `t${id}`, databasePrefix: `of_sandbox_${id}` }
  t.same(sandboxEnv(sandbox), { NATS_NAMESPACE: sandbox.namespace, ORDERFLOW_DB_PREFIX: sandbox.databasePrefix, SAGA_DEADLINE_WORKER_ENABLED: 'false' })
  const bus = await connectBus({ servers: NATS_URL, name: 'orderflow-bench-test', logger: pino({ level: 'silent' }) })
  t.teardown(() => bus.close())
  const { jsm } = bus
  const streams = createTopology(sandbox.namespace).streams()
  await provision(jsm, { streams })
  const database = `${sandbox.databasePrefix}_order`
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL })
  await admin.connect()
  await admin.query(`create database ${pg.escapeIdentifier(database)}`)
  await admin.end()
  t.teardown(() => removeSandbox(jsm, pgUrlBase, sandbox))

  await removeSandbox(jsm, pgUrlBase, sandbox)
  t.notOk(await databaseExists(database), 'the database is gone')
  const left = []
  for await (const name of jsm.streams.names()) if (streams.some((s) => s.name === name)) left.push(name)
  t.same(left, [], 'the streams are gone')
  await t.resolves(removeSandbox(jsm, pgUrlBase, sandbox), 'a second removal finds nothing and says nothing')
})
