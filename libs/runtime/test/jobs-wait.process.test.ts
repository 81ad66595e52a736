import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { DEFAULT_NATS_SERVER, DEFAULT_PG_BIN } from '@orderflow/chaos'
import { randomNamespace } from '@orderflow/testing'
import { freePort, startJob, stoppedPostgres, type JobProcess } from './support/service-process.js'

// Issue 13: with the release's own PostgreSQL or NATS the chart starts the migrate and provision
// Jobs together with that server. `--wait` makes them wait for it, as the services do, instead of
// failing and spending the Job's retries; without `--wait` they fail at once, as before.

/** Resolves once the job's output matches, rejects if it exits first or takes too long. */
async function untilPrinted(job: JobProcess, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited: number | null | undefined
  void job.exited.then((code) => (exited = code))
  while (!pattern.test(job.output())) {
    if (exited !== undefined) throw new Error(`exited with ${exited} before printing ${pattern}:\n${job.output()}`)
    if (Date.now() > deadline) throw new Error(`did not print ${pattern} within ${timeoutMs} ms:\n${job.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function killAfter(t: Test, job: JobProcess): void {
  t.teardown(() => job.signal('SIGKILL'))
}

t.test('without --wait a job fails at once when its database is not there', async (t) => {
  const job = startJob('migrate', ['up'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/orderflow_fulfillment` })
  killAfter(t, job)
  t.equal(await job.exited, 1, 'exit 1')
  t.match(job.output(), /ECONNREFUSED/, 'saying why')
})

t.test('stopped while waiting, a job exits with 1: it has not done its work', async (t) => {
  const job = startJob('migrate', ['up', '--wait'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/orderflow_fulfillment`, LOG_LEVEL: 'info' })
  killAfter(t, job)
  await untilPrinted(job, /"msg":"waiting for a dependency"/)
  t.match(job.output(), /"waitingFor":"database: connect ECONNREFUSED 127\.0\.0\.1:\d+"/, 'it logs what it waits for')
  job.signal('SIGTERM')
  t.equal(await job.exited, 1, 'exit 1 on SIGTERM, so the Job is not counted done')
  t.match(job.output(), /stopped while waiting for a dependency; nothing was done/)
})

if (!existsSync(join(DEFAULT_PG_BIN, 'initdb'))) t.test('migrate --wait', { skip: 'needs a PostgreSQL server installation of its own' }, async () => {})
else {
  t.test('migrate up --create-database --wait started before its PostgreSQL waits, then creates and migrates', async (t) => {
    const postgres = await stoppedPostgres(t, 'job-wait-pg')

    const env = { DATABASE_URL: `${postgres.urlBase}/orderflow_fulfillment`, LOG_LEVEL: 'info' }
    const job = startJob('migrate', ['up', '--create-database', '--wait'], env)
    killAfter(t, job)
    await untilPrinted(job, /"waitingFor":"database: connect ECONNREFUSED/)
    await postgres.start()
    t.equal(await job.exited, 0, 'done once the server answers')
    t.match(job.output(), /dependencies available; starting/, 'it says when it stopped waiting')
    t.match(job.output(), /applied Migration/, 'and migrated')

    const pending = startJob('migrate', ['pending'], env)
    t.equal(await pending.exited, 0)
    t.match(pending.output(), /no pending migrations/, 'in the database it created')
  })
}

if (!existsSync(DEFAULT_NATS_SERVER)) t.test('provision --wait', { skip: 'needs a nats-server binary of its own' }, async () => {})
else {
  t.test('provision --wait started before its NATS waits, then declares the streams', async (t) => {
    const store = mkdtempSync(join(tmpdir(), 'orderflow-job-wait-nats-'))
    t.teardown(() => rmSync(store, { recursive: true, force: true }))
    const natsPort = await freePort()
    const job = startJob('provision', ['--wait'], { NATS_URL: `nats://127.0.0.1:${natsPort}`, NATS_NAMESPACE: randomNamespace(), LOG_LEVEL: 'info' })
    killAfter(t, job)
    await untilPrinted(job, /"waitingFor":"nats: /)

    const natsServer = spawn(DEFAULT_NATS_SERVER, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' })
    t.teardown(() => void natsServer.kill('SIGKILL'))
    t.equal(await job.exited, 0, 'done once NATS answers')
    t.match(job.output(), /"msg":"stream provisioned"/, 'streams declared')
    t.match(job.output(), /"msg":"consumer provisioned"/, 'consumers declared')
  })
}
