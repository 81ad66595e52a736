import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { createTestDatabase, TEST_PG_ADMIN_URL, uniqueName } from '@orderflow/testing'
import { createOrm, InboxMessage, MigrationError, migrationCommand, OutboxMessage, runMigrations, type MigrationCommandOptions } from '@orderflow/db'
import { query } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

// A service's layout in a temporary folder: an ES module package, src/migrations for the
// generated TypeScript, dist/migrations for what tsc would emit. node_modules is linked so the
// migrations' import of @orderflow/db resolves as it does inside the monorepo.
const root = mkdtempSync(join(tmpdir(), 'orderflow-db-migrations-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'migrations-test', private: true, type: 'module' }))
symlinkSync(new URL('../../../node_modules', import.meta.url).pathname, join(root, 'node_modules'))
const srcMigrations = join(root, 'src', 'migrations')
const distMigrations = join(root, 'dist', 'migrations')

const url = await createTestDatabase(t, 'of_db_test_migrations')
const entities = [Widget, OutboxMessage, InboxMessage]

async function migrate(argv: string[], migrationsPath: string | URL = srcMigrations): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const options: MigrationCommandOptions = {
    url,
    entities,
    migrationsPath,
    out: (line) => (out += `${line}\n`),
    err: (line) => (err += `${line}\n`),
  }
  const code = await migrationCommand(argv, options)
  return { code, out, err }
}

async function tables(): Promise<string[]> {
  const rows = await query<{ table_name: string }>(url, `select table_name from information_schema.tables where table_schema = 'public' order by table_name`)
  return rows.map((r) => r.table_name)
}

void t.test('create writes the entities’ difference as a TypeScript migration', async (t) => {
  t.match(await migrate(['pending']), { code: 0, out: 'no pending migrations\n' }, 'nothing yet')
  const created = await migrate(['create', 'initial'])
  t.equal(created.code, 0, created.err)
  const files = readdirSync(srcMigrations)
  t.equal(files.length, 1)
  t.match(files[0], /^Migration\d{14}_initial\.ts$/)
  t.match(created.out, /^created .*Migration\d{14}_initial\.ts\n$/)
  const code = readFileSync(join(srcMigrations, files[0] ?? ''), 'utf8')
  t.match(code, "import { Migration } from '@orderflow/db';", 'migrations depend on this package only')
  t.match(code, 'create table "outbox"')
  t.notMatch(code, /trigger/i, 'no NOTIFY trigger: committed rows are published by whoever committed them')
  t.match(code, 'create table "inbox"')
  t.match(code, 'create table "widget"')
  t.same(await tables(), ['mikro_orm_migrations'], 'create changes no table but the bookkeeping one')
})

void t.test('create refuses while migrations are pending: its difference would repeat them', async (t) => {
  const again = await migrate(['create'])
  t.equal(again.code, 1)
  t.match(again.err, /MigrationError: apply the pending migrations before creating a new one/)
  t.equal(readdirSync(srcMigrations).length, 1)
})

void t.test('up applies the pending migrations; then nothing is pending and nothing differs', async (t) => {
  const pending = await migrate(['pending'])
  t.match(pending.out, /^Migration\d{14}_initial\n$/)
  const up = await migrate(['up'])
  t.equal(up.code, 0, up.err)
  t.match(up.out, /^applied Migration\d{14}_initial\n$/)
  t.same(await tables(), ['inbox', 'mikro_orm_migrations', 'outbox', 'widget'])
  t.same(await query(url, `select tgname from pg_trigger where tgrelid = 'outbox'::regclass and not tgisinternal`), [], 'no trigger on the outbox')
  t.match(await migrate(['pending']), { code: 0, out: 'no pending migrations\n' })
  t.match(await migrate(['up']), { code: 0, out: 'no pending migrations\n' })
  t.match(await migrate(['create']), { code: 0, out: 'no changes: the database matches the entities\n' }, 'the schema round-trips, partial indexes included')
})

void t.test('compiled migrations in dist are the same migrations', async (t) => {
  // What `tsc` does to src/migrations, with the files it emits beside the JavaScript.
  mkdirSync(distMigrations, { recursive: true })
  for (const file of readdirSync(srcMigrations)) {
    const base = file.replace(/\.ts$/, '')
    const source = readFileSync(join(srcMigrations, file), 'utf8')
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2023 } })
    writeFileSync(join(distMigrations, `${base}.js`), outputText)
    writeFileSync(join(distMigrations, `${base}.js.map`), '{}')
    writeFileSync(join(distMigrations, `${base}.d.ts`), 'export {}')
  }
  const dist = new URL(`file://${distMigrations}/`)
  t.match(await migrate(['pending'], dist), { code: 0, out: 'no pending migrations\n' }, 'applied from src counts as applied from dist')
  const down = await migrate(['down'], dist)
  t.equal(down.code, 0, down.err)
  t.match(down.out, /^reverted Migration\d{14}_initial\n$/)
  t.same(await tables(), ['mikro_orm_migrations'], 'the compiled down() ran')
  const up = await migrate(['up'], dist)
  t.equal(up.code, 0, up.err)
  t.match(up.out, /^applied Migration\d{14}_initial\n$/, 'the compiled up() ran, and only the .js')
  t.same(await tables(), ['inbox', 'mikro_orm_migrations', 'outbox', 'widget'])
})

void t.test('down reverts the last migration, then says when nothing is left', async (t) => {
  t.match(await migrate(['down']), { code: 0, out: /^reverted Migration\d{14}_initial\n$/ })
  t.same(await tables(), ['mikro_orm_migrations'])
  t.match(await migrate(['down']), { code: 0, out: 'no applied migration to revert\n' })
  t.match(await migrate(['pending']), { code: 0, out: /^Migration\d{14}_initial\n$/ })
})

void t.test('create --blank writes an empty migration to fill by hand', async (t) => {
  t.equal((await migrate(['up'])).code, 0)
  const blank = await migrate(['create', 'backfill', '--blank'])
  t.equal(blank.code, 0, blank.err)
  const file = readdirSync(srcMigrations).find((f) => f.endsWith('_backfill.ts'))
  t.ok(file)
  t.match(readFileSync(join(srcMigrations, file ?? ''), 'utf8'), "this.addSql(`select 1`);")
})

void t.test('usage errors exit with 2 and say how to use it', async (t) => {
  for (const argv of [[], ['sideways'], ['up', 'extra'], ['create', 'a', 'b'], ['--bogus'], ['up', '--blank'], ['down', '--create-database']]) {
    const result = await migrate(argv)
    t.equal(result.code, 2, argv.join(' '))
    t.match(result.err, /usage: migrate <command>/)
  }
  t.match((await migrate(['sideways'])).err, /^unknown command: sideways/)
})

void t.test('up --create-database creates a missing database first', async (t) => {
  const name = uniqueName('of_test_migrate_create', { lower: true })
  t.teardown(() => query(TEST_PG_ADMIN_URL, `drop database if exists "${name}" with (force)`))
  const fresh = new URL(TEST_PG_ADMIN_URL)
  fresh.pathname = `/${name}`
  let out = ''
  const code = await migrationCommand(['up', '--create-database'], {
    url: fresh.toString(),
    entities,
    migrationsPath: srcMigrations,
    out: (line) => (out += `${line}\n`),
  })
  t.equal(code, 0)
  t.match(out, /^created the database\n/)
  t.match(out, /applied Migration\d{14}_initial\n/)
  t.match(out, /applied Migration\d{14}_backfill\n/)
  const again = await migrationCommand(['up', '--create-database'], { url: fresh.toString(), entities, migrationsPath: srcMigrations, out: (line) => (out = line) })
  t.equal(again, 0)
  t.equal(out, 'no pending migrations', 'an existing database is kept')
})

void t.test('a database that cannot be reached fails the command with 1', async (t) => {
  let err = ''
  const code = await migrationCommand(['up'], {
    url: 'postgres://postgres@127.0.0.1:1/nowhere',
    entities,
    migrationsPath: srcMigrations,
    out: () => undefined,
    err: (line) => (err += line),
  })
  t.equal(code, 1)
  t.match(err, /^migrate up failed: /)
})

void t.test('migrations need a folder', async (t) => {
  const orm = await createOrm({ url, entities })
  t.teardown(() => orm.close())
  await t.rejects(runMigrations(orm), MigrationError)
  t.notOk(existsSync(join(process.cwd(), 'migrations')), 'no folder was made up')
})
