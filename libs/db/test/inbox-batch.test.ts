import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { EntityManager } from '@mikro-orm/postgresql'
import { processBatchOnce, processOnce } from '@orderflow/db'
import { query, setupDatabase } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

const { url, orm } = await setupDatabase(t)

const events = (n: number) => Array.from({ length: n }, () => ({ id: randomUUID() }))

async function recorded(consumer: string, ids: readonly string[]): Promise<number> {
  return (await query(url, 'select 1 from inbox where consumer = $1 and event_id = any($2::uuid[])', [consumer, ids])).length
}

void t.test('a batch records every event and runs the work once with the new ones, in order', async (t) => {
  const consumer = 'batch-widgets'
  const batch = events(4)
  const [seen] = batch
  await processOnce(orm, { consumer, eventId: seen!.id }, () => 'earlier')
  const given: string[][] = []
  const made = await processBatchOnce(orm, consumer, [...batch, batch[2]!], (em: EntityManager, fresh) => {
    given.push(fresh.map((e) => e.id))
    for (const e of fresh) em.create(Widget, { id: e.id, name: 'from a batch' })
    return fresh.length
  })
  t.equal(made, 3)
  t.same(given, [[batch[1]!.id, batch[2]!.id, batch[3]!.id]], 'the one seen before and the repeat are left out; the order is kept')
  t.equal(await recorded(consumer, batch.map((e) => e.id)), 4)
  t.equal((await query(url, 'select 1 from widget where id = any($1::uuid[])', [batch.map((e) => e.id)])).length, 3)
  t.same(await processOnce(orm, { consumer, eventId: batch[3]!.id }, () => 'again'), { duplicate: true }, 'the single path sees the batch records')
})

void t.test('a batch of duplicates only still runs the work, with no events', async (t) => {
  const consumer = 'batch-widgets'
  const batch = events(2)
  await processBatchOnce(orm, consumer, batch, () => undefined)
  t.same(await processBatchOnce(orm, consumer, batch, (_em, fresh) => fresh.length), 0)
  t.same(await processBatchOnce(orm, consumer, [], (_em, fresh) => fresh.length), 0, 'an empty batch too')
})

void t.test('when the work throws, no record and no effect of the batch commits', async (t) => {
  const consumer = 'batch-widgets'
  const batch = events(3)
  await t.rejects(
    processBatchOnce(orm, consumer, batch, async (em, fresh) => {
      for (const e of fresh) em.create(Widget, { id: e.id, name: 'doomed' })
      await em.flush()
      throw new Error('the third one is bad')
    }),
    { message: 'the third one is bad' },
  )
  t.equal(await recorded(consumer, batch.map((e) => e.id)), 0)
  t.equal((await query(url, 'select 1 from widget where id = any($1::uuid[])', [batch.map((e) => e.id)])).length, 0)
  t.same(await processOnce(orm, { consumer, eventId: batch[0]!.id }, () => 'retried alone'), { duplicate: false, result: 'retried alone' })
})

void t.test('event ids in upper case are matched to what PostgreSQL returns', async (t) => {
  const consumer = 'batch-widgets'
  const batch = events(2).map((e) => ({ id: e.id.toUpperCase() }))
  const fresh = await processBatchOnce(orm, consumer, batch, (_em, f) => f.map((e) => e.id))
  t.same(fresh, batch.map((e) => e.id), 'both are new, and handed over as given')
  t.same(await processBatchOnce(orm, consumer, batch, (_em, f) => f.length), 0, 'and duplicates the second time')
})
