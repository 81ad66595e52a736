import { randomBytes } from 'node:crypto'
import t from 'tap'
import pg from 'pg'
import { connectStatementCounter, NOT_LOADED, preloadList, statementIncrease, statementsPerOrder, type StatementSnapshot } from '@orderflow/bench'

// The server every test uses (see @orderflow/testing); this package does not depend on it.
const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const pgUrlBase = TEST_PG_ADMIN_URL.replace(/\/[^/]*$/, '')

async function on<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${pgUrlBase}/${database}` })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** Why the server cannot count statements, or false when it can. */
const cannotLoad = await on('postgres', async (c) => {
  const { rows } = await c.query<{ libs: string }>(`SELECT current_setting('shared_preload_libraries') AS libs`)
  return preloadList(rows[0]?.libs ?? '').includes('pg_stat_statements')
    ? false
    : `pg_stat_statements is not in this server's shared_preload_libraries (${JSON.stringify(rows[0]?.libs)}): statements cannot be counted here`
})

t.test('statements per order from pg_stat_statements, by database, most called first', { skip: cannotLoad }, async (t) => {
  const prefix = `of_benchstmt_${randomBytes(4).toString('hex')}_`
  const [app, other] = [`${prefix}app`, `${prefix}other`]
  for (const db of [app, other]) {
    await on('postgres', (c) => c.query(`CREATE DATABASE ${db}`))
    t.teardown(() => on('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)))
  }
  await on(app, (c) => c.query('CREATE TABLE item (id int PRIMARY KEY)'))
  // A database outside the prefix, busy at the same time: none of its statements may count.
  const outside = `of_benchstmx_${randomBytes(4).toString('hex')}`
  await on('postgres', (c) => c.query(`CREATE DATABASE ${outside}`))
  t.teardown(() => on('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${outside} WITH (FORCE)`)))

  const counter = await connectStatementCounter(pgUrlBase, { databasePrefix: prefix })
  if (typeof counter === 'string') throw new Error(`the server preloads pg_stat_statements, yet: ${counter}`)
  t.teardown(() => counter.close())
  t.same(counter.databases, [app, other], 'the extension is in every database of the prefix')
  t.ok(counter.ownStatementsExcluded, "the counter's own session is kept out of the statistics")
  t.match(counter.track, /^(top|all)$/, 'what the server counts is said')
  t.same(counter.refusals, [])

  const before = await counter.snapshot()
  // 30 inserts and 10 counts in one database, 6 statements in the other, 50 outside.
  await on(app, async (c) => {
    for (let i = 1; i <= 30; i++) await c.query('INSERT INTO item (id) VALUES ($1)', [i])
    for (let i = 0; i < 10; i++) await c.query('SELECT count(*) FROM item WHERE id > $1', [i])
  })
  await on(other, async (c) => {
    for (let i = 0; i < 6; i++) await c.query('SELECT $1::int * 2 AS doubled', [i])
  })
  await on(outside, async (c) => {
    for (let i = 0; i < 50; i++) await c.query('SELECT $1::int AS n', [i])
  })
  const between = await counter.snapshot()
  const after = await counter.snapshot()
  t.same(statementIncrease(between, after), [], 'reading the statistics adds no statement to them')

  const figure = await statementsPerOrder(counter, before, after, 2)
  if (typeof figure === 'string') throw new Error(figure)
  t.equal(figure.total, 46 / 2, 'every statement of the prefix, per order, and nothing else')
  t.same(figure.byDatabase, { app: 40 / 2, other: 6 / 2 })
  t.same(
    figure.top.map((s) => [s.database, s.callsPerOrder]),
    [
      ['app', 15],
      ['app', 5],
      ['other', 3],
    ],
  )
  t.match(figure.top[0]?.query, /^INSERT INTO item \(id\) VALUES \(\$1\)$/, 'the normalised text')
  t.match(figure.top[1]?.query, /^SELECT count\(\*\) FROM item WHERE id > \$1$/)
  t.type(figure.evicted, 'number', 'PostgreSQL 14+ says whether entries were evicted')
  t.equal(await statementsPerOrder(counter, before, after, 0), 'not measured (no order completed in the window)')

  await counter.close()
  const left = await on(app, (c) => c.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`))
  t.equal(left.rowCount, 0, 'closing drops the extension it created: the database is left as found')
})

t.test('the server without pg_stat_statements preloaded: not measured, and why', { skip: cannotLoad ? false : 'this server preloads pg_stat_statements' }, async (t) => {
  t.equal(await connectStatementCounter(pgUrlBase, { databasePrefix: 'of_benchstmt_none_' }), NOT_LOADED)
})

t.test('increases between snapshots: new statements count whole, a reset one from zero, gone ones not at all', async (t) => {
  const before: StatementSnapshot = { calls: { order: { a: 10, b: 5, gone: 7 }, payment: { c: 1 } }, evictions: 3 }
  const after: StatementSnapshot = { calls: { order: { a: 16, b: 2, d: 4 }, payment: { c: 1 } }, evictions: 4 }
  t.same(statementIncrease(before, after), [
    { database: 'order', queryId: 'a', calls: 6 },
    { database: 'order', queryId: 'd', calls: 4 },
    { database: 'order', queryId: 'b', calls: 2 },
  ])
  const figure = await statementsPerOrder({ queryTexts: async (s) => new Map(s.map((x) => [`${x.database}/${x.queryId}`, `q ${x.queryId}`])) }, before, after, 4)
  t.same(figure, {
    total: 3,
    byDatabase: { order: 3, payment: 0 },
    top: [
      { database: 'order', queryId: 'a', query: 'q a', callsPerOrder: 1.5 },
      { database: 'order', queryId: 'd', query: 'q d', callsPerOrder: 1 },
      { database: 'order', queryId: 'b', query: 'q b', callsPerOrder: 0.5 },
    ],
    evicted: 1,
  })
  t.same(preloadList(`'$libdir/pg_stat_statements', auto_explain.so , "timescaledb"`), ['pg_stat_statements', 'auto_explain', 'timescaledb'])
  t.same(preloadList(''), [])
})
