import { parseArgs } from 'node:util'
import { ensureDatabase } from './database.js'
import { createMigration, displayPath, pendingMigrations, revertLastMigration, runMigrations } from './migrations.js'
import { createOrm, type CreateOrmOptions } from './orm.js'

export interface MigrationCommandOptions extends CreateOrmOptions {
  /** Where the migrations live (see {@link CreateOrmOptions.migrationsPath}); required here. */
  migrationsPath: string | URL
  /** Where progress lines go. @default standard output */
  out?: (line: string) => void
  /** Where error lines go. @default standard error */
  err?: (line: string) => void
}

const USAGE = `usage: migrate <command>
  up [--create-database] apply every pending migration (one transaction); create the database
                         first if it is missing (for local setups: needs the CREATEDB privilege)
  down                   revert the last applied migration
  pending                list the migrations not applied yet
  create [name] [--blank]
                         write a migration with the entities' difference from the (migrated) database`

/**
 * The body of a service's migration entry point (`src/migrate.ts`), so every service has the same
 * four commands. Returns the process exit code: 0 done, 1 failed, 2 usage error.
 *
 * ```ts
 * process.exitCode = await migrationCommand(process.argv.slice(2), { url, entities, migrationsPath })
 * ```
 */
export async function migrationCommand(argv: readonly string[], options: MigrationCommandOptions): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`))
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`))
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { blank: { type: 'boolean', default: false }, 'create-database': { type: 'boolean', default: false } } })
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`)
    return 2
  }
  const [command, name, ...extra] = parsed.positionals
  const known = ['up', 'down', 'pending', 'create']
  const misplaced = (parsed.values.blank && command !== 'create') || (parsed.values['create-database'] && command !== 'up')
  if (!command || !known.includes(command) || extra.length > 0 || (name !== undefined && command !== 'create') || misplaced) {
    err(command && !known.includes(command) ? `unknown command: ${command}\n${USAGE}` : USAGE)
    return 2
  }

  let orm
  try {
    if (parsed.values['create-database'] && (await ensureDatabase(options.url))) out('created the database')
    orm = await createOrm(options)
    switch (command) {
      case 'up': {
        const applied = await runMigrations(orm)
        out(applied.length === 0 ? 'no pending migrations' : applied.map((m) => `applied ${m}`).join('\n'))
        break
      }
      case 'down': {
        const reverted = await revertLastMigration(orm)
        out(reverted ? `reverted ${reverted}` : 'no applied migration to revert')
        break
      }
      case 'pending': {
        const pending = await pendingMigrations(orm)
        out(pending.length === 0 ? 'no pending migrations' : pending.join('\n'))
        break
      }
      case 'create': {
        const file = await createMigration(orm, { name, blank: parsed.values.blank })
        out(file ? `created ${displayPath(file)}` : 'no changes: the database matches the entities')
        break
      }
    }
    return 0
  } catch (error) {
    err(`migrate ${command} failed: ${describe(error)}`)
    return 1
  } finally {
    await orm?.close()
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : ''
  return `${error.name}: ${error.message}${cause}`
}
