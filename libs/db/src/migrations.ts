import { readdir } from 'node:fs/promises'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MigrationError } from './db.errors.js'
import type { Orm } from './orm.js'

export interface CreateMigrationOptions {
  /** Suffix of the file and class name, e.g. `add_order_notes`. @default none: a timestamp only */
  name?: string
  /** Write an empty migration to fill by hand (data migrations, raw SQL). @default false */
  blank?: boolean
}

/**
 * Applies every pending migration in one transaction (all or nothing) and returns their names in
 * order. For `make up` and the deployment's migration job, never for a service's boot: replicas
 * racing to migrate at start is what this rule prevents.
 */
export async function runMigrations(orm: Orm): Promise<string[]> {
  const migrator = migratorOf(orm)
  const applied = await migrator.up()
  return applied.map((m) => m.name)
}

/** Reverts the most recently applied migration; returns its name, or `undefined` when none is applied. */
export async function revertLastMigration(orm: Orm): Promise<string | undefined> {
  const reverted = await migratorOf(orm).down()
  return reverted[0]?.name
}

/** Names of the migrations found in the migrations folder and not yet applied, in order. */
export async function pendingMigrations(orm: Orm): Promise<string[]> {
  const pending = await migratorOf(orm).getPending()
  return pending.map((m) => m.name)
}

/**
 * Names of the migrations in `folder` that the database has not recorded as applied, in order,
 * read without changing anything. {@link pendingMigrations} asks MikroORM's migrator, which
 * creates its bookkeeping table on first use: a service checking its schema at start must not,
 * as its user may not create tables and a migration job may be creating that same table.
 */
export async function unappliedMigrations(orm: Orm, folder: string | URL): Promise<string[]> {
  const known = await migrationNames(folder instanceof URL ? fileURLToPath(folder) : folder)
  const table = orm.config.get('migrations').tableName ?? 'mikro_orm_migrations'
  const em = orm.em.fork()
  const [found] = await em.execute<{ present: boolean }[]>('select to_regclass(?) is not null as present', [table])
  if (!found?.present) return known
  const rows = await em.execute<{ name: string }[]>(`select name from ${em.getPlatform().quoteIdentifier(table)}`)
  // The migrator records names without their extension, as this does: src (.ts) and dist (.js) agree.
  const applied = new Set(rows.map((r) => withoutExtension(r.name)))
  return known.filter((name) => !applied.has(name))
}

/** What MikroORM's migrator discovers with this package's glob `!(*.d).{js,ts}`, without extensions. */
async function migrationNames(folder: string): Promise<string[]> {
  let files: string[]
  try {
    files = await readdir(folder)
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return []
    throw error
  }
  const names = files.filter((f) => /\.[jt]s$/.test(f) && !/\.d\.[jt]s$/.test(f)).map(withoutExtension)
  return [...new Set(names)].sort()
}

function withoutExtension(name: string): string {
  return name.replace(/\.[jt]s$/, '')
}

/**
 * Writes a TypeScript migration with the difference between the entities and the database into
 * the migrations folder; returns its path, or `undefined` when there is no difference.
 *
 * The difference is taken against the database itself, so it must have every existing migration
 * applied: otherwise the new file would repeat them. That is checked, and refused with a
 * {@link MigrationError}.
 */
export async function createMigration(orm: Orm, options: CreateMigrationOptions = {}): Promise<string | undefined> {
  const migrator = migratorOf(orm)
  const pending = await migrator.getPending()
  if (pending.length > 0) {
    throw new MigrationError(
      `apply the pending migrations before creating a new one (${pending.map((m) => m.name).join(', ')}): the new one is the difference from the migrated database`,
    )
  }
  const folder = migrationsFolder(orm)
  const result = await migrator.create(folder, options.blank ?? false, false, options.name)
  if (!result.fileName) return undefined
  return `${folder}/${result.fileName}`
}

/** The migrations folder configured by `createOrm({ migrationsPath })`. */
export function migrationsFolder(orm: Orm): string {
  const path = orm.config.get('migrations').path
  if (!path) throw new MigrationError('no migrations folder: pass `migrationsPath` to createOrm')
  return path
}

function migratorOf(orm: Orm) {
  migrationsFolder(orm)
  return orm.migrator
}

/** A path as a person wants to read it in a terminal: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel.startsWith('..') ? path : rel
}
