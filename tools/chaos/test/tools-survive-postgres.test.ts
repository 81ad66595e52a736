import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { connectDatabaseStats } from '@orderflow/bench'
import { DEFAULT_PG_BIN, startPostgres } from '@orderflow/chaos'
import { readBooks } from '@orderflow/cli'

// Issue 11: the benchmark died with an unhandled 'error' from a pg client when PostgreSQL went
// down. Its database readers and the books reader, on a PostgreSQL of the test's own that is
// stopped (immediate, as a crash) under them and started again: the process lives on, what
// they read while it is down fails as an error, and the books read again once it is back.
if (!existsSync(join(DEFAULT_PG_BIN, 'initdb'))) t.plan(0, 'needs a PostgreSQL server installation of its own')
else {
  t.test('the benchmark readers and the books reader survive PostgreSQL stopping under them', async (t) => {
    const runRoot = mkdtempSync(join(tmpdir(), 'orderflow-survive-'))
    chmodSync(runRoot, 0o711)
    mkdirSync(join(runRoot, 'pids'))
    t.teardown(() => rmSync(runRoot, { recursive: true, force: true }))
    const server = await startPostgres({ runRoot, logFile: join(runRoot, 'postgres.log') })
    t.teardown(() => server.process.kill('SIGQUIT'))
    const admin = new pg.Client({ connectionString: `${server.urlBase}/postgres` })
    await admin.connect()
    for (const db of ['orderflow_order', 'orderflow_inventory', 'orderflow_payment']) await admin.query(`create database ${db}`)
    await admin.end()
    const urls = { order: `${server.urlBase}/orderflow_order`, inventory: `${server.urlBase}/orderflow_inventory`, payment: `${server.urlBase}/orderflow_payment` }
    for (const url of Object.values(urls)) {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      await c.query(`create table orders (id uuid primary key, status text, total_amount bigint, created_at timestamptz, customer_id text);
                     create table order_holds (order_id uuid, status text); create table reservations (order_id uuid, sku text, quantity int, status text);
                     create table stock (sku text primary key, on_hand int, reserved int);
                     create table payments (order_id uuid primary key, status text, amount bigint, captured_amount bigint, refunded_amount bigint);
                     create table payment_transactions (order_id uuid, operation text, outcome text, amount bigint)`)
      await c.end()
    }

    const stats = await connectDatabaseStats(server.urlBase)
    t.teardown(() => stats.close().catch(() => {}))
    t.ok(await stats.snapshot(), 'reads the counters while the server is up')

    await server.stopImmediately()
    // An unhandled 'error' event on the stats' kept connection would end this process here.
    await new Promise((r) => setTimeout(r, 300))
    await t.rejects(stats.snapshot(), 'a reading while the server is down fails as an error')
    await t.rejects(readBooks(urls, { orderIds: [] }), 'so do the books')

    await server.start()
    t.ok(await readBooks(urls, { orderIds: [] }), 'the books read again once it is back')
  })
}
