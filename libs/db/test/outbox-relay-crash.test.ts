import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { Registry } from 'prom-client'
import { enqueueEvents, startOutboxRelay } from '@orderflow/db'
import { captureLogger, confirmedEvent, eventually, query, setupDatabase } from './fixtures/helpers.js'
import { createTestStream, storedEvents } from './fixtures/jetstream.js'

const { url, orm } = await setupDatabase(t)

void t.test('a relay killed between publish and mark: its claim expires, another relay publishes again, JetStream keeps one copy', async (t) => {
  const stream = await createTestStream(t)
  const events = Array.from({ length: 3 }, () => confirmedEvent())
  await orm.em.fork().transactional((em) => enqueueEvents(em, events))

  const child = spawn(process.execPath, [...process.execArgv, new URL('./fixtures/relay-child.ts', import.meta.url).pathname], {
    env: { ...process.env, RELAY_DATABASE_URL: url, RELAY_SUBJECT_PREFIX: stream.prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  t.ok(await eventually(() => output.includes('published 3'), 15_000), 'the child relay published the batch')
  child.kill('SIGKILL')
  await once(child, 'exit')

  const claimed = await query<{ sent_at: Date | null; attempts: number }>(url, 'select sent_at, attempts from outbox where id = any($1::uuid[])', [
    events.map((e) => e.id),
  ])
  t.ok(claimed.every((r) => r.sent_at === null && r.attempts === 1), 'it died with the batch claimed and unmarked')
  t.equal((await storedEvents(stream)).length, 3)

  const duplicates: boolean[] = []
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger: captureLogger().logger,
    pollIntervalMs: 50,
    registry: new Registry(),
    publish: async (batch) => {
      const acks = await Promise.all(batch.map((r) => stream.js.publish(`${stream.prefix}.${r.subject}`, JSON.stringify(r.event), { msgID: r.id })))
      duplicates.push(...acks.map((a) => a.duplicate))
      return acks.map(() => ({ ok: true as const }))
    },
  })
  t.teardown(() => relay.stop())
  t.ok(
    await eventually(async () => (await query(url, 'select 1 from outbox where sent_at is null')).length === 0),
    'after the claim expires the other relay takes the batch over',
  )
  t.same(duplicates, [true, true, true], 'JetStream recognised each copy as a duplicate')
  t.same((await storedEvents(stream)).map((s) => s.msgId), events.map((e) => e.id), 'the stream still holds each event once')
  const attempts = await query<{ attempts: number }>(url, 'select attempts from outbox order by seq')
  t.same(attempts.map((r) => r.attempts), [2, 2, 2])
})
