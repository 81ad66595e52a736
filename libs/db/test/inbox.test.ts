import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { EntityManager } from '@mikro-orm/postgresql'
import { DbError, processOnce, purgeInbox, startInboxCleanup } from '@orderflow/db'
import { captureLogger, eventually, query, setupDatabase } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

const { url, orm } = await setupDatabase(t)

async function widgets(id: string): Promise<number> {
  return (await query(url, 'select 1 from widget where id = $1', [id])).length
}

void t.test('the same event processed twice runs the work once', async (t) => {
  const key = { consumer: 'test-widgets', eventId: randomUUID() }
  const widgetId = randomUUID()
  let runs = 0
  const work = (em: EntityManager) => {
    runs++
    em.create(Widget, { id: widgetId, name: 'from an event' })
    return 'made'
  }
  t.same(await processOnce(orm, key, work), { duplicate: false, result: 'made' })
  t.same(await processOnce(orm, key, work), { duplicate: true })
  t.equal(runs, 1)
  t.equal(await widgets(widgetId), 1)
  t.same(await processOnce(orm, { ...key, consumer: 'test-other' }, () => 'also'), { duplicate: false, result: 'also' }, 'another consumer of the same event runs its own work')
})

void t.test('a failing work rolls back its effects and the inbox record, so a retry runs it again', async (t) => {
  const key = { consumer: 'test-widgets', eventId: randomUUID() }
  const widgetId = randomUUID()
  let attempt = 0
  const work = async (em: EntityManager) => {
    attempt++
    em.create(Widget, { id: widgetId, name: `attempt ${attempt}` })
    await em.flush()
    if (attempt === 1) throw new Error('downstream unavailable')
  }
  await t.rejects(processOnce(orm, key, work), { message: 'downstream unavailable' })
  t.equal(await widgets(widgetId), 0, 'the effect was rolled back')
  t.equal((await query(url, 'select 1 from inbox where event_id = $1', [key.eventId])).length, 0, 'so was the record')
  t.same(await processOnce(orm, key, work), { duplicate: false, result: undefined })
  const [row] = await query<{ name: string }>(url, 'select name from widget where id = $1', [widgetId])
  t.equal(row?.name, 'attempt 2')
})

void t.test('two deliveries of one event processed at once run the work once', async (t) => {
  const key = { consumer: 'test-widgets', eventId: randomUUID() }
  let runs = 0
  const work = async () => {
    runs++
    // Hold the transaction open, so the other delivery arrives while this one is in flight.
    await new Promise((r) => setTimeout(r, 100))
  }
  const results = await Promise.all([processOnce(orm, key, work), processOnce(orm, key, work), processOnce(orm, key, work)])
  t.equal(runs, 1)
  t.equal(results.filter((r) => r.duplicate).length, 2)
})

void t.test('a concurrent delivery runs the work itself when the first one rolls back', async (t) => {
  const key = { consumer: 'test-widgets', eventId: randomUUID() }
  let runs = 0
  const first = processOnce(orm, key, async () => {
    runs++
    await new Promise((r) => setTimeout(r, 100))
    throw new Error('first delivery failed')
  })
  await new Promise((r) => setTimeout(r, 20))
  const second = processOnce(orm, key, () => {
    runs++
    return 'second'
  })
  await t.rejects(first, { message: 'first delivery failed' })
  t.same(await second, { duplicate: false, result: 'second' })
  t.equal(runs, 2)
})

void t.test('an event id that is not a UUID is refused', async (t) => {
  let ran = false
  await t.rejects(
    processOnce(orm, { consumer: 'test-widgets', eventId: 'nope' }, () => {
      ran = true
    }),
    { name: 'DriverException' },
  )
  t.notOk(ran)
})

void t.test('old inbox records are purged, recent ones kept', async (t) => {
  const old = randomUUID()
  const recent = randomUUID()
  await processOnce(orm, { consumer: 'test-purge', eventId: old }, () => undefined)
  await processOnce(orm, { consumer: 'test-purge', eventId: recent }, () => undefined)
  await query(url, `update inbox set processed_at = now() - interval '8 days' where event_id = $1`, [old])

  t.equal(await purgeInbox(orm, 7), 1)
  const left = await query<{ event_id: string }>(url, `select event_id from inbox where consumer = 'test-purge'`)
  t.same(left.map((r) => r.event_id), [recent])
  await t.rejects(purgeInbox(orm, -1), DbError)
})

void t.test('the cleanup runs periodically and logs its failures', async (t) => {
  const { logger, lines } = captureLogger()
  const old = randomUUID()
  await processOnce(orm, { consumer: 'test-cleanup', eventId: old }, () => undefined)
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
