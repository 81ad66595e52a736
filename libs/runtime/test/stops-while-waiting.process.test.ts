import t from 'tap'
import { freePort, startService, waitingFor } from './support/service-process.js'

// Issue 13: waiting for dependencies must not change what a stop or a bad configuration does. A
// pod deleted while its service waits ends at once and cleanly; a configuration that can never
// work still fails the start, since no amount of waiting fixes it.

/** A PostgreSQL port nothing listens on: the service keeps waiting for it. */
const nowhere = async () => `postgres://postgres@127.0.0.1:${await freePort()}/orderflow_fulfillment`

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} while waiting for the database: the process exits 0 at once`, async (t) => {
    const service = startService(t, { DATABASE_URL: await nowhere(), NATS_URL: 'nats://127.0.0.1:1' }, await freePort())
    await service.waitForReadiness((r) => /^database:/.test(waitingFor(r) ?? ''), 'a failed attempt')
    const sent = Date.now()
    service.signal(signal)
    t.equal(await service.exited, 0, 'a clean exit')
    t.ok(Date.now() - sent < 3_000, `within ${Date.now() - sent} ms`)
    t.equal((await service.get('/livez')).status, 0, 'no longer listening')
  })
}

t.test('an invalid configuration still fails the start at once, without listening', async (t) => {
  const port = await freePort()
  const started = Date.now()
  const service = startService(t, { DATABASE_URL: await nowhere(), NATS_URL: 'nats://127.0.0.1:1', CONSUMER_CONCURRENCY: 'lots' }, port)
  t.equal(await service.exited, 1)
  t.ok(Date.now() - started < 10_000, 'no waiting')
  t.match(service.output(), /CONSUMER_CONCURRENCY/, 'names the setting at fault')
  t.notMatch(service.output(), /waiting for a dependency/)
})
