import t from 'tap'
import { JetStreamApiError } from '@nats-io/jetstream'
import { TimeoutError } from '@nats-io/nats-core'
import { DatabaseUrlError } from '@orderflow/db'
import { ProvisioningError } from '@orderflow/messaging'
import { TEST_PG_ADMIN_URL } from '@orderflow/testing'
import { isJetStreamSettling, reachDatabase } from '../src/job-dependencies.js'
import { DependencyUnavailable } from '../src/wait-for-dependencies.js'
import { freePort } from './support/service-process.js'

// What `migrate.js --wait` and `provision.js --wait` wait for, and what they fail on at once.

t.test('a database that cannot be reached yet is worth waiting for', async (t) => {
  const closed = `postgres://orderflow@127.0.0.1:${await freePort()}/orderflow_order`
  const refused = await reachDatabase(closed).catch((e: unknown) => e)
  t.ok(refused instanceof DependencyUnavailable, 'no server answering')
  t.match((refused as DependencyUnavailable).message, /^database: connect ECONNREFUSED 127\.0\.0\.1:\d+$/, 'named, with the driver\'s reason and not the URL')

  const missing = new URL(TEST_PG_ADMIN_URL)
  missing.pathname = '/of_never_created_database'
  const notCreated = await reachDatabase(missing.toString()).catch((e: unknown) => e)
  t.ok(notCreated instanceof DependencyUnavailable, 'a database not created yet (CloudNativePG\'s Database not reconciled yet)')
  t.match((notCreated as Error).message, /does not exist/)
  await t.resolves(reachDatabase(missing.toString(), { maintenance: true }), 'with --create-database only the server must answer')
  await t.resolves(reachDatabase(TEST_PG_ADMIN_URL), 'a database that is there')
})

t.test('a misconfiguration fails at once', async (t) => {
  const malformed = await reachDatabase('mysql://x@127.0.0.1/x').catch((e: unknown) => e)
  t.ok(malformed instanceof DatabaseUrlError && !(malformed instanceof DependencyUnavailable), 'a URL that is not PostgreSQL\'s')
})

t.test('JetStream that answers but cannot act yet is worth waiting for', async (t) => {
  const api = (status: number, code: number, description: string) => new JetStreamApiError({ code: status, err_code: code, description })
  const wrapped = (cause: Error) => new ProvisioningError('stream ORDERS', `create failed: ${cause.message}`, { cause })
  t.ok(isJetStreamSettling(wrapped(api(503, 10008, 'JetStream system temporarily unavailable'))), 'no meta leader yet')
  t.ok(isJetStreamSettling(wrapped(api(503, 10023, 'insufficient resources'))), 'fewer servers up than replicas')
  t.ok(isJetStreamSettling(wrapped(api(400, 10074, 'no suitable peers for placement'))), 'no peers to place it on yet')
  t.ok(isJetStreamSettling(wrapped(new TimeoutError())), 'a request that timed out')
  t.notOk(isJetStreamSettling(wrapped(api(400, 10058, 'stream name already in use with a different configuration'))), 'a real refusal is not')
  t.notOk(isJetStreamSettling(new ProvisioningError('stream ORDERS', 'exists with memory storage')), 'nor a definition that cannot be applied')
})
