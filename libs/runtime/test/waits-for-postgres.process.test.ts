import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEFAULT_PG_BIN } from '@orderflow/chaos'
import { connectTestNats, deleteStreamsAfter, mintToken, randomNamespace, TEST_NATS_URL } from '@orderflow/testing'
import { createTopology } from '@orderflow/messaging'
import { freePort, runJob, startService, stoppedPostgres, waitingFor } from './support/service-process.js'

// Issue 13: on Kubernetes the migrate Job may run after the pods start, against a PostgreSQL
// that is itself still starting. The service process starts before its PostgreSQL (a private one,
// never the machine's), waits without exiting, and serves once the database is there and migrated.

if (!existsSync(join(DEFAULT_PG_BIN, 'initdb'))) t.plan(0, 'needs a PostgreSQL server installation of its own')
else {
  t.test('a service started before its PostgreSQL waits, not ready, and serves once it is there and migrated', async (t) => {
    const postgres = await stoppedPostgres(t, 'wait-pg')

    const namespace = randomNamespace()
    deleteStreamsAfter(t, await connectTestNats(t), ...createTopology(namespace).streams().map((s) => s.name))
    const nats = { NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: namespace }
    await runJob('provision', [], nats)

    const databaseUrl = `${postgres.urlBase}/orderflow_fulfillment`
    const service = startService(t, { ...nats, DATABASE_URL: databaseUrl }, await freePort())

    const refused = await service.waitForReadiness((r) => waitingFor(r) !== undefined && waitingFor(r) !== 'database, nats: connecting', 'a failed attempt')
    t.match(waitingFor(refused), /^database: connect ECONNREFUSED 127\.0\.0\.1:\d+$/, 'readiness names the database and why')
    t.notMatch(refused.body, /postgres:\/\//, 'and not its URL')
    t.equal((await service.get('/livez')).status, 200, 'alive: Kubernetes must not restart it')
    const api = await service.get(`/v1/shipments/${randomUUID()}`, { authorization: `Bearer ${mintToken({ roles: ['orders:read'] })}` })
    t.equal(api.status, 503, 'the API is unavailable meanwhile')
    t.equal(api.headers.get('content-type'), 'application/problem+json')
    t.ok(Number(api.headers.get('retry-after')) > 0, 'with Retry-After')
    t.match(JSON.parse(api.body), { status: 503, code: 'UNAVAILABLE' })

    await postgres.start()
    const missing = await service.waitForReadiness((r) => /does not exist/.test(waitingFor(r) ?? ''), 'the next reason')
    t.equal(waitingFor(missing), 'database: database "orderflow_fulfillment" does not exist', 'retried on its own: the server answers, the database is not there yet')

    await runJob('migrate', ['up', '--create-database'], { DATABASE_URL: databaseUrl })
    const ready = await service.waitForReadiness((r) => r.status === 200, 'readiness')
    t.match(JSON.parse(ready.body), { status: 'ok', checks: { database: 'ok', nats: 'ok' } }, 'the real server answers now')
    const served = await service.get(`/v1/shipments/${randomUUID()}`, { authorization: `Bearer ${mintToken({ roles: ['orders:read'] })}` })
    t.equal(served.status, 404, `its API reads the migrated tables: ${served.body}`)
    t.match(JSON.parse(served.body), { code: 'SHIPMENT_NOT_FOUND' })

    const reasons = service.logLines().flatMap((l) => (l.msg === 'waiting for a dependency' || l.msg === 'still waiting for a dependency' ? [String(l.waitingFor)] : []))
    t.ok(reasons.some((r) => r.includes('ECONNREFUSED')) && reasons.some((r) => r.includes('does not exist')), 'each reason was logged')
    t.ok(reasons.every((r, i) => r !== reasons[i - 1]), `once per change, not per attempt: ${reasons.join(' | ')}`)

    service.signal('SIGTERM')
    t.equal(await service.exited, 0, 'and it stops as always')
  })
}
