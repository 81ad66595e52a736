import { randomUUID } from 'node:crypto'
import t from 'tap'
import { DbError, purgeInbox, startInboxCleanup } from '@orderflow/db'
import { captureLogger, eventually, query, setupDatabase } from './fixtures/helpers.js'

// What a consumer's batch transaction writes (see batch-transaction.test.ts); here only its cleanup.
const { url, orm } = await setupDatabase(t)

const record = (consumer: string, eventId: string) => query(url, 'insert into inbox (consumer, event_id) values ($1, $2)', [consumer, eventId])

void t.test('old inbox records are purged, recent ones kept', async (t) => {
  const old = randomUUID()
  const recent = randomUUID()
  await record('test-purge', old)
  await record('test-purge', recent)
  await query(url, `update inbox set processed_at = now() - interval '8 days' where event_id = $1`, [old])

  t.equal(await purgeInbox(orm, 7), 1)
  const left = await query<{ event_id: string }>(url, `select event_id from inbox where consumer = 'test-purge'`)
  t.same(left.map((r) => r.event_id), [recent])
  await t.rejects(purgeInbox(orm, -1), DbError)
})

void t.test('the cleanup runs periodically and logs its failures', async (t) => {
  const { logger, lines } = captureLogger()
  const old = randomUUID()
  await record('test-cleanup', old)
  await query(url, `update inbox set processed_at = now() - interval '2 days' where event_id = $1`, [old])
  const cleanup = startInboxCleanup(orm, { logger, retentionDays: 1, intervalMs: 20 })
  t.teardown(() => cleanup.stop())
  t.ok(await eventually(async () => (await query(url, 'select 1 from inbox where event_id = $1', [old])).length === 0))

  await query(url, 'alter table inbox rename to inbox_away')
  t.ok(await eventually(() => lines.some((l) => l.msg === 'could not purge old inbox records')))
  await cleanup.stop()
  await query(url, 'alter table inbox_away rename to inbox')

  t.throws(() => startInboxCleanup(orm, { logger, retentionDays: -1 }), DbError)
  t.throws(() => startInboxCleanup(orm, { logger, intervalMs: 0 }), DbError)
})
