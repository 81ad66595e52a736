import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createTestDatabase } from '@orderflow/testing'
import { createOrm, migrationCommand, unappliedMigrations } from '@orderflow/db'
import { query } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

// What a service checks at start (issue 13): which of its migrations the database lacks, read
// without creating anything, so that it can run under a user without DDL rights and beside the
// migrate Job.

// A service's layout: an ES module package whose migrations import @orderflow/db.
const root = mkdtempSync(join(tmpdir(), 'orderflow-db-unapplied-'))
t.teardown(() => rmSync(root, { recursive: true, force: true }))
writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'unapplied-test', private: true, type: 'module' }))
symlinkSync(new URL('../../../node_modules', import.meta.url).pathname, join(root, 'node_modules'))
const src = join(root, 'src', 'migrations')
const dist = join(root, 'dist', 'migrations')
mkdirSync(src, { recursive: true })
mkdirSync(dist, { recursive: true })

function writeMigration(name: string): void {
  writeFileSync(join(src, `${name}.ts`), `import { Migration } from '@orderflow/db'\nexport class ${name} extends Migration {\n  override async up(): Promise<void> {\n    this.addSql('select 1')\n  }\n}\n`)
  // What tsc emits beside it in dist: only the .js is a migration.
  for (const file of [`${name}.js`, `${name}.js.map`, `${name}.d.ts`]) writeFileSync(join(dist, file), '')
}

const url = await createTestDatabase(t, 'of_db_test_unapplied')
const orm = await createOrm({ url, entities: [Widget] })
t.teardown(() => orm.close())
const tables = async () => (await query<{ table_name: string }>(url, `select table_name from information_schema.tables where table_schema = 'public'`)).map((r) => r.table_name)

writeMigration('Migration20260101000000_first')
writeMigration('Migration20260201000000_second')

t.test('a database never migrated lacks every migration; asking creates nothing', async (t) => {
  t.same(await unappliedMigrations(orm, src), ['Migration20260101000000_first', 'Migration20260201000000_second'])
  t.same(await unappliedMigrations(orm, new URL(`file://${dist}/`)), ['Migration20260101000000_first', 'Migration20260201000000_second'], 'the same from dist, each once')
  t.same(await tables(), [], 'not even the migrator’s bookkeeping table')
})

t.test('once migrated it lacks only what was added since', async (t) => {
  const code = await migrationCommand(['up'], { url, entities: [Widget], migrationsPath: src, out: () => undefined })
  t.equal(code, 0)
  t.same(await unappliedMigrations(orm, src), [])
  writeMigration('Migration20260301000000_third')
  t.same(await unappliedMigrations(orm, src), ['Migration20260301000000_third'])
  t.same(await unappliedMigrations(orm, dist), ['Migration20260301000000_third'], 'applied from src counts as applied from dist')
})

t.test('a service without a migrations folder lacks none', async (t) => {
  t.same(await unappliedMigrations(orm, join(root, 'nowhere')), [])
})
