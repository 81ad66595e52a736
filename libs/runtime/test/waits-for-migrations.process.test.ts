import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import t from 'tap'
import { createTopology } from '@orderflow/messaging'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, mintToken, randomNamespace, TEST_NATS_URL } from '@orderflow/testing'
import { freePort, runJob, startService, waitingFor } from './support/service-process.js'

// Issue 13: a new version's pods may start before its migrate Job has run. Its database is
// there but one migration behind the code: the service waits, not ready, naming the migration,
// and serves once `migrate up` has run, without a restart. It creates nothing meanwhile.

t.test('a service whose schema is behind its code waits for migrate up, then serves', async (t) => {
  const namespace = randomNamespace()
  deleteStreamsAfter(t, await connectTestNats(t), ...createTopology(namespace).streams().map((s) => s.name))
  const nats = { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: namespace }
  const databaseUrl = await createTestDatabase(t, 'of_runtime_wait_schema')
  await Promise.all([runJob('provision', [], nats), runJob('migrate', ['up'], { DATABASE_URL: databaseUrl })])
  // The database of the previous release: every migration but the newest.
  await runJob('migrate', ['down'], { DATABASE_URL: databaseUrl })
  const newest = readdirSync(new URL('../../../services/fulfillment/src/migrations', import.meta.url)).sort().at(-1)?.replace(/\.ts$/, '')

  const service = startService(t, { ...nats, DATABASE_URL: databaseUrl }, await freePort())
  const behind = await service.waitForReadiness((r) => /^database schema:/.test(waitingFor(r) ?? ''), 'the schema check')
  t.equal(waitingFor(behind), `database schema: 1 migration pending (run migrate up): ${newest}`, 'readiness names the migration')
  t.equal((await service.get('/livez')).status, 200, 'alive')

  await runJob('migrate', ['up'], { DATABASE_URL: databaseUrl })
  await service.waitForReadiness((r) => r.status === 200, 'readiness')
  const served = await service.get(`/v1/shipments/${randomUUID()}`, { authorization: `Bearer ${mintToken({ roles: ['orders:read'] })}` })
  t.equal(served.status, 404, `its API serves: ${served.body}`)
  const reasons = service.logLines().filter((l) => l.msg === 'waiting for a dependency')
  t.same(reasons.map((l) => l.waitingFor), [`database schema: 1 migration pending (run migrate up): ${newest}`], 'logged once')

  service.signal('SIGTERM')
  t.equal(await service.exited, 0)
})
