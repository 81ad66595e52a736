import t from 'tap'
import { TEST_PG_ADMIN_URL, uniqueName } from '@orderflow/testing'
import { createOrm, DatabaseUrlError, ensureDatabase, OutboxMessage } from '@orderflow/db'
import { captureLogger, query, setupDatabase } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

function urlOf(database: string): string {
  const url = new URL(TEST_PG_ADMIN_URL)
  url.pathname = `/${database}`
  return url.toString()
}

async function exists(database: string): Promise<boolean> {
  return (await query(TEST_PG_ADMIN_URL, 'select 1 from pg_database where datname = $1', [database])).length === 1
}

void t.test('ensureDatabase creates a missing database once, even when raced', async (t) => {
  const name = uniqueName('of_test_ensure', { lower: true })
  t.teardown(() => query(TEST_PG_ADMIN_URL, `drop database if exists "${name}" with (force)`))
  t.equal(await exists(name), false)
  const results = await Promise.all([ensureDatabase(urlOf(name)), ensureDatabase(urlOf(name)), ensureDatabase(urlOf(name))])
  t.equal(results.filter(Boolean).length, 1, 'exactly one call created it')
  t.equal(await exists(name), true)
  t.equal(await ensureDatabase(urlOf(name)), false, 'an existing database is left alone')
})

void t.test('ensureDatabase quotes odd names', async (t) => {
  const name = `${uniqueName('of_test_ensure', { lower: true })}-Mixed "q"`
  t.teardown(() => query(TEST_PG_ADMIN_URL, `drop database if exists "${name.replace(/"/g, '""')}" with (force)`))
  t.equal(await ensureDatabase(urlOf(encodeURIComponent(name))), true)
  t.equal(await exists(name), true)
})

void t.test('ensureDatabase refuses URLs that name no database, without echoing them', async (t) => {
  for (const url of ['postgres://user:secret@127.0.0.1:5432', 'postgres://user:secret@127.0.0.1:5432/', 'mysql://user:secret@127.0.0.1/x', 'not a url']) {
    const error = await t.rejects(ensureDatabase(url), DatabaseUrlError)
    t.notMatch((error as Error).message, /secret/)
  }
})

void t.test('ensureDatabase reports an unreachable server', async (t) => {
  await t.rejects(ensureDatabase('postgres://postgres@127.0.0.1:1/x'), { code: 'ECONNREFUSED' })
})

void t.test('createOrm fails fast when the database is unreachable', async (t) => {
  await t.rejects(createOrm({ url: 'postgres://postgres@127.0.0.1:1/x', entities: [Widget] }), {
    name: 'DbError',
    message: /^cannot connect to the database: .*ECONNREFUSED/,
    cause: { code: 'ECONNREFUSED' },
  })
})

void t.test('createOrm never creates the database: that is a command, not a boot step', async (t) => {
  const name = uniqueName('of_test_absent', { lower: true })
  await t.rejects(createOrm({ url: urlOf(name), entities: [Widget] }), { name: 'DbError', message: /does not exist/ })
  t.equal(await exists(name), false)
})

void t.test('ORM messages go to the pino logger, queries only when asked for', async (t) => {
  const { url } = await setupDatabase(t)
  const quiet = captureLogger()
  const orm = await createOrm({ url, entities: [Widget, OutboxMessage], logger: quiet.logger, poolSize: 3 })
  t.teardown(() => orm.close())
  t.equal(orm.config.get('pool').max, 3)
  await orm.em.fork().execute('select 1')
  t.equal(quiet.lines.length, 0, 'no query lines by default')
  orm.config.getLogger().warn('info', 'something odd')
  t.match(quiet.lines, [{ level: 40, msg: 'something odd', namespace: 'info', component: 'mikro-orm' }], 'warnings are always logged')

  orm.config.getLogger().error('info', 'something broken')
  t.match(quiet.lines.at(-1), { level: 50, msg: 'something broken' }, 'so are errors')

  const loud = captureLogger()
  const debugOrm = await createOrm({ url, entities: [Widget, OutboxMessage], logger: loud.logger, debug: ['query'] })
  t.teardown(() => debugOrm.close())
  await debugOrm.em.fork().execute('select ? as secret', ['hunter2'])
  const line = loud.lines.find((l) => l.namespace === 'query')
  t.match(line, { level: 20, msg: /^select \? as secret/ }, 'queries at debug level')
  t.notMatch(JSON.stringify(loud.lines), /hunter2/, 'parameter values stay out unless query-params is on')
})

void t.test('slow queries are logged as warnings whatever the debug setting', async (t) => {
  const { url } = await setupDatabase(t)
  const { logger, lines } = captureLogger()
  const orm = await createOrm({ url, entities: [Widget], logger, slowQueryMs: 50 })
  t.teardown(() => orm.close())
  await orm.em.fork().execute('select 1')
  t.equal(lines.length, 0, 'a fast query is not logged')
  await orm.em.fork().execute('select pg_sleep(0.06)')
  t.match(lines, [{ level: 40, namespace: 'slow-query', msg: /^select pg_sleep/, took_ms: Number }])
})

void t.test('ensureDatabase passes on what it cannot handle, such as a missing privilege', async (t) => {
  const role = uniqueName('of_test_nocreatedb', { lower: true })
  await query(TEST_PG_ADMIN_URL, `create role "${role}" login nocreatedb`)
  t.teardown(() => query(TEST_PG_ADMIN_URL, `drop role if exists "${role}"`))
  const url = new URL(urlOf(uniqueName('of_test_denied', { lower: true })))
  url.username = role
  await t.rejects(ensureDatabase(url.toString()), { code: '42501', message: /permission denied to create database/ })
})
