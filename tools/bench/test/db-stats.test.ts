import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import pg from 'pg'
import { connectDatabaseStats, likePrefix } from '../src/db-stats.js'

// The server every test uses (see @orderflow/testing); this package does not depend on it.
const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const pgUrlBase = TEST_PG_ADMIN_URL.replace(/\/[^/]*$/, '')

async function admin<T>(fn: (c: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const c = new pg.Client({ connectionString: `${pgUrlBase}/${database}` })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** A database of this test's own, with a table of dead rows; dropped when the test ends. */
async function databaseWithDeadRows(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  t.teardown(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  await admin(async (c) => {
    await c.query('CREATE TABLE churn (id int PRIMARY KEY)')
    await c.query('INSERT INTO churn SELECT generate_series(1, 1000)')
    await c.query('DELETE FROM churn WHERE id > 10')
  }, name)
  return name
}

interface TableStats {
  vacuums: number
  analyzes: number
  dead: number
}

async function tableStats(database: string, table: string): Promise<TableStats> {
  return admin(async (c) => {
    // Statistics a backend sends are read by others after it reports them; ask for a fresh read.
    await c.query('SELECT pg_stat_clear_snapshot()')
    const { rows } = await c.query<{ vacuums: string; analyzes: string; dead: string }>(
      `SELECT vacuum_count AS vacuums, analyze_count AS analyzes, n_dead_tup AS dead FROM pg_stat_user_tables WHERE relname = $1`,
      [table],
    )
    const row = rows[0]
    if (!row) throw new Error(`no table ${table} in ${database}`)
    return { vacuums: Number(row.vacuums), analyzes: Number(row.analyzes), dead: Number(row.dead) }
  }, database)
}

t.test('housekeeping vacuums and analyzes what autovacuum would, as it becomes due, until stopped', async (t) => {
  const prefix = `of_benchhk_${randomBytes(3).toString('hex')}`
  const database = await databaseWithDeadRows(t, prefix)
  await admin(async (c) => {
    // Below autovacuum's thresholds (50 rows changed): left alone.
    await c.query('CREATE TABLE quiet (id int PRIMARY KEY)')
    await c.query('INSERT INTO quiet SELECT generate_series(1, 10)')
  }, database)
  const stats = await connectDatabaseStats(pgUrlBase, { databasePrefix: `${prefix}_` })
  t.teardown(() => stats.close())
  const errors: string[] = []
  const housekeeping = stats.startHousekeeping(50, (m) => errors.push(m))

  const until = async (what: string, done: (s: TableStats) => boolean, table = 'churn'): Promise<TableStats> => {
    let seen = await tableStats(database, table)
    for (let i = 0; i < 100 && !done(seen); i++) {
      await sleep(50)
      seen = await tableStats(database, table)
    }
    t.ok(done(seen), `${what} (${JSON.stringify(seen)})`)
    return seen
  }
  const first = await until('the dead rows were vacuumed away', (s) => s.vacuums >= 1 && s.dead === 0)
  await sleep(300)
  // Read again after the pause: a loaded server shows a pass's counters with a delay, and the
  // analyze that may have come with the first vacuum must not count as the one awaited below.
  const settled = await tableStats(database, 'churn')
  t.equal(settled.vacuums, first.vacuums, 'nothing is due again until the table changes')

  await admin((c) => c.query('UPDATE churn SET id = id + 1000'), database) // 10 rows: under the thresholds
  await admin((c) => c.query('INSERT INTO churn SELECT generate_series(2000, 2199)'), database)
  await until('200 new rows on 10 were analyzed', (s) => s.analyzes > settled.analyzes)

  const tables = await housekeeping.stop()
  t.ok(tables >= 2, `tables handled: ${tables}`)
  t.same(errors, [])
  const quiet = await tableStats(database, 'quiet')
  t.same([quiet.vacuums, quiet.analyzes], [0, 0], 'a table below the thresholds was left alone')

  const afterStop = await tableStats(database, 'churn')
  await admin((c) => c.query('DELETE FROM churn'), database)
  await sleep(300)
  t.equal((await tableStats(database, 'churn')).vacuums, afterStop.vacuums, 'no pass after stop()')
})

t.test('a pass that fails is reported and the next pass still runs', async (t) => {
  const prefix = `of_benchhk_${randomBytes(3).toString('hex')}`
  const database = await databaseWithDeadRows(t, prefix)
  // Sorted after the good one, so each pass cleans the good database before it fails here.
  const refusing = `${prefix}_zz`
  await admin((c) => c.query(`CREATE DATABASE ${refusing} ALLOW_CONNECTIONS false`))
  t.teardown(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${refusing}`)))
  const stats = await connectDatabaseStats(pgUrlBase, { databasePrefix: `${prefix}_` })
  t.teardown(() => stats.close())
  const errors: string[] = []
  const housekeeping = stats.startHousekeeping(50, (m) => errors.push(m))
  for (let i = 0; i < 100 && errors.length < 2; i++) await sleep(50)
  await housekeeping.stop()
  t.ok(errors.length >= 2, `every pass reported its failure (${errors.length})`)
  t.match(errors[0], /not currently accepting connections/)
  t.equal((await tableStats(database, 'churn')).vacuums, 1, 'the good database was cleaned, once: nothing was due after that')
})

t.test('the platform databases are found by their prefix, taken literally', async (t) => {
  t.equal(likePrefix('orderflow_'), 'orderflow\\_%', 'the prefix\'s _ is no wildcard: orderflowXorder is not a platform database')
  t.equal(likePrefix('a%b\\'), 'a\\%b\\\\%')
})
