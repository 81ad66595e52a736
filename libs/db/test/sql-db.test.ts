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

void t.test('a connection lost inside a transaction, between statements, fails that transaction only; the process lives on', async (t) => {
  const lost = openSqlDb({ url, poolSize: 1, logger: pino({ level: 'silent' }) })
  t.teardown(() => lost.destroy())
  const outcome = lost
    .transaction()
    .execute(async (tx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)
      // What a PostgreSQL restart does to every session, done to this one while it holds its
      // connection and waits on something else (a payment provider's answer, say).
      await query(url, 'select pg_terminate_backend($1)', [rows[0]!.pid])
      // The connection ends now, with no query running: pg reports it as an 'error' event on the
      // checked-out client, which, unheard, would end this process.
      await new Promise((r) => setTimeout(r, 200))
      await sql`select 1`.execute(tx)
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    )
  t.ok((await outcome) instanceof Error, 'the transaction fails')
  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(lost)
  t.same(rows, [{ one: 1 }], 'the next query gets a fresh connection')
})

void t.test('a connection lost mid-query fails that query only; the process lives on and the next query reconnects', async (t) => {
  const lost = openSqlDb({ url, poolSize: 1, logger: pino({ level: 'silent' }) })
  t.teardown(() => lost.destroy())
  // Settled into a value at once: the rejection comes while this test is still terminating it.
  const running = sql`select pg_sleep(30)`.execute(lost).then(() => undefined, (error: unknown) => error)
  // What a PostgreSQL restart does to every session, done to this one session only.
  for (let killed = 0; killed === 0; ) {
    await new Promise((r) => setTimeout(r, 20))
    const rows = await query<{ pg_terminate_backend: boolean }>(
      url,
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'select pg_sleep(30)%' and pid <> pg_backend_pid()`,
    )
    killed = rows.length
  }
  t.match(await running, { code: '57P01' }, 'the query in progress fails')
  // An unhandled 'error' event on the checked-out client would have ended this process by now.
  await new Promise((r) => setTimeout(r, 100))
  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(lost)
  t.same(rows, [{ one: 1 }], 'the next query gets a fresh connection')
})
