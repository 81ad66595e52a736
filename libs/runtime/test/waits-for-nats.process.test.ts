import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { DEFAULT_NATS_SERVER } from '@orderflow/chaos'
import { createTestDatabase, mintToken } from '@orderflow/testing'
import { freePort, runJob, startService, waitingFor } from './support/service-process.js'

// Issue 13: the provision Job may run after the pods start, against a NATS that is itself still
// starting. The service process starts before its NATS (a private nats-server, never the
// machine's), waits without exiting or leaking connections, and serves once NATS is there and
// its streams and consumers are declared.

/** Connections the service holds on its database right now. */
async function connectionsTo(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')
    return rows[0]?.n ?? 0
  } finally {
    await client.end()
  }
}

if (!existsSync(DEFAULT_NATS_SERVER)) t.plan(0, 'needs a nats-server binary of its own')
else {
  t.test('a service started before its NATS waits, not ready, and serves once NATS is there and provisioned', async (t) => {
    const store = mkdtempSync(join(tmpdir(), 'orderflow-wait-nats-'))
    t.teardown(() => rmSync(store, { recursive: true, force: true }))
    const [natsPort, monitorPort] = [await freePort(), await freePort()]
    const nats = { NATS_URL: `nats://127.0.0.1:${natsPort}` }

    const databaseUrl = await createTestDatabase(t, 'of_runtime_wait_nats')
    await runJob('migrate', ['up'], { DATABASE_URL: databaseUrl })
    const service = startService(t, { ...nats, DATABASE_URL: databaseUrl }, await freePort())

    const refused = await service.waitForReadiness((r) => /^nats:/.test(waitingFor(r) ?? ''), 'a failed attempt')
    t.match(waitingFor(refused), /^nats: connect ECONNREFUSED 127\.0\.0\.1:\d+$/, 'readiness names NATS and why')
    t.equal((await service.get('/livez')).status, 200, 'alive')
    // Each attempt opens the database before NATS fails it: what it opened must be closed again.
    await new Promise((r) => setTimeout(r, 4_000))
    t.ok((await connectionsTo(databaseUrl)) <= 1, 'no database connections pile up across the attempts')

    const natsServer = spawn(DEFAULT_NATS_SERVER, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(natsPort), '-m', String(monitorPort)], { stdio: 'ignore' })
    t.teardown(() => void natsServer.kill('SIGKILL'))
    const deadline = Date.now() + 15_000
    while (!(await fetch(`http://127.0.0.1:${monitorPort}/healthz`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error('nats-server did not start')
      await new Promise((r) => setTimeout(r, 100))
    }
    const unprovisioned = await service.waitForReadiness((r) => /^nats streams:/.test(waitingFor(r) ?? ''), 'the next reason')
    t.match(waitingFor(unprovisioned), /^nats streams: not provisioned \(run provision\): FULFILLMENT\/\S+ \(stream not found\)/, 'connected: its consumers are not declared yet')

    await runJob('provision', [], nats)
    await service.waitForReadiness((r) => r.status === 200, 'readiness')
    const served = await service.get(`/v1/shipments/${randomUUID()}`, { authorization: `Bearer ${mintToken({ roles: ['orders:read'] })}` })
    t.equal(served.status, 404, `its API serves: ${served.body}`)

    service.signal('SIGTERM')
    t.equal(await service.exited, 0, 'and it stops as always')
  })
}
