import t from 'tap'
import { sql } from 'kysely'
import pino from 'pino'
import { inTransaction, jsonRows, openSqlDb } from '@orderflow/db'
import { query, setupDatabase } from './fixtures/helpers.js'

const { url } = await setupDatabase(t)
const db = openSqlDb({ url, poolSize: 2, logger: pino({ level: 'silent' }) })
t.teardown(() => db.destroy())

// A table large enough that the planner's choice matters, with its statistics known.
await query(url, 'create table gadget (id int primary key, n int not null)')
await query(url, 'insert into gadget select g, 0 from generate_series(1, 20000) g')
await query(url, 'analyze gadget')

const updateOf = (rows: Array<{ id: number; n: number }>) =>
  sql`update gadget g set n = r.n from ${jsonRows(rows, 'id int, n int')} as r where g.id = r.id`

void t.test('a batch joined through jsonRows is looked up by key, not read whole', async (t) => {
  const rows = [
    { id: 7, n: 1 },
    { id: 8, n: 2 },
  ]
  const compiled = updateOf(rows).compile(db)
  const plan = await query<{ 'QUERY PLAN': string }>(url, `explain ${compiled.sql}`, [...compiled.parameters])
  const text = plan.map((r) => r['QUERY PLAN']).join('\n')
  t.notMatch(text, /Seq Scan on gadget/, 'no scan of the whole table')
  t.match(text, /Index Scan using gadget_pkey/)
  await updateOf(rows).execute(db)
  t.same(await query(url, 'select id, n from gadget where id in (7, 8) order by id'), rows)
  // What the LIMIT is for: the same join straight from jsonb_to_recordset is planned as a scan.
  const bare = await query<{ 'QUERY PLAN': string }>(
    url,
    `explain update gadget g set n = r.n from jsonb_to_recordset($1::jsonb) as r(id int, n int) where g.id = r.id`,
    [JSON.stringify(rows)],
  )
  t.match(bare.map((r) => r['QUERY PLAN']).join('\n'), /Seq Scan on gadget/, 'without the LIMIT the planner reads the table')
})

void t.test('hot-path statements are prepared once per connection and then executed from a generic plan', async (t) => {
  const plans = await inTransaction(db, async (tx) => {
    for (let i = 0; i < 8; i++) {
      await sql`select id, n from gadget where id = any(${[i + 1, i + 2]}::int[]) order by id for update`.execute(tx)
    }
    const { rows } = await sql<{ name: string; generic_plans: string; custom_plans: string }>`select name, generic_plans, custom_plans
        from pg_prepared_statements where statement like '%from gadget where id = any%' and statement not like '%pg_prepared_statements%'`.execute(tx)
    return rows
  })
  t.equal(plans.length, 1, 'one prepared statement for the one text')
  t.match(plans[0]?.name, /^of_\d+$/)
  t.equal(Number(plans[0]?.custom_plans), 0, 'never planned for its parameters')
  t.equal(Number(plans[0]?.generic_plans), 8, 'each call ran the one generic plan')
})

void t.test('timestamps come back as PostgreSQL writes them, as the ORM has them', async (t) => {
  const { rows } = await sql<{ at: unknown }>`select '2026-01-02T03:04:05Z'::timestamptz as at`.execute(db)
  t.type(rows[0]?.at, 'string')
})
