import { fileURLToPath } from 'node:url'
import type { AnyEntity, EntityClass, EntitySchema, LoggerNamespace } from '@mikro-orm/core'
import { MikroORM } from '@mikro-orm/postgresql'
import { Migrator } from '@mikro-orm/migrations'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { DbError } from './db.errors.js'
import { OrderflowMigrationGenerator } from './migration-generator.js'
import { PinoOrmLogger } from './orm-logger.js'
import { watchPool } from './pool.metrics.js'

/** The ORM of one service's PostgreSQL database. */
export type Orm = MikroORM

export interface CreateOrmOptions {
  /** `postgres://user:password@host:port/database` of the service's own database. */
  url: string
  /** The service's entities, declared with `defineEntity` (add `OutboxMessage` / `InboxMessage` if used). */
  entities: ReadonlyArray<EntitySchema | EntityClass<AnyEntity>>
  /**
   * Folder holding the service's migrations, usually `new URL('./migrations', import.meta.url)`
   * from a module next to it: that is `src/migrations` (`.ts`) under tsx and `dist/migrations`
   * (compiled `.js`) under node, so one setting serves development and production.
   * Needed only by the migration commands.
   * @default none: the migration commands refuse to run
   */
  migrationsPath?: string | URL
  /** Connections in the ORM's pool. @default 10 */
  poolSize?: number
  /**
   * Where ORM output goes: warnings and errors always, queries and internals at debug level when
   * `debug` asks for them. @default MikroORM's console logger
   */
  logger?: Logger
  /**
   * Log queries and other ORM internals: `true`, or the namespaces to log, e.g. `['query']`.
   * Parameter values are logged only with `'query-params'`: they may hold personal data.
   * @default false
   */
  debug?: boolean | LoggerNamespace[]
  /** Log queries that take at least this long as warnings, whatever `debug` says. @default off */
  slowQueryMs?: number
  /** Where the pool's gauges go (`db_pool_*{pool="orm"}`). @default not reported */
  registry?: Registry
}

/**
 * Creates the service's ORM and connects its pool (failing fast if the database is unreachable).
 * It never creates the database nor changes its schema: that is `ensureDatabase` and the migration
 * commands' job, run by `make up` or a deployment job, not by every process at boot.
 *
 * The global `orm.em` refuses to be used (MikroORM's `allowGlobalContext: false`): fork one
 * EntityManager per request and per message so identity maps never leak between them.
 */
export async function createOrm(options: CreateOrmOptions): Promise<Orm> {
  const migrationsPath = options.migrationsPath === undefined ? undefined : toPath(options.migrationsPath)
  const orm = await MikroORM.init({
    clientUrl: options.url,
    entities: [...options.entities],
    pool: { min: 0, max: options.poolSize ?? 10 },
    ensureDatabase: false,
    allowGlobalContext: false,
    debug: options.debug ?? false,
    ...(options.slowQueryMs === undefined ? {} : { slowQueryThreshold: options.slowQueryMs }),
    ...(options.logger ? { loggerFactory: loggerFactory(options.logger) } : {}),
    extensions: [Migrator],
    migrations: {
      // Both paths point at the same folder: which of `.ts` / `.js` it holds depends on whether
      // the caller runs from src (tsx) or from dist, and MikroORM's TypeScript detection is then moot.
      ...(migrationsPath ? { path: migrationsPath, pathTs: migrationsPath } : {}),
      glob: '!(*.d).{js,ts}',
      emit: 'ts',
      generator: OrderflowMigrationGenerator,
      // No snapshot file: `create` diffs the entities against the migrated database itself, the one
      // source of truth, instead of a JSON file that can drift or be forgotten in a commit.
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  })
  // MikroORM connects lazily; a service should rather fail at start than on its first request.
  const check = await orm.connect().then(
    () => orm.checkConnection(),
    (error: unknown) => ({ ok: false as const, reason: error instanceof Error ? error.message : String(error), error }),
  )
  if (!check.ok) {
    await orm.close(true)
    throw new DbError(`cannot connect to the database: ${check.reason}`, { cause: check.error })
  }
  // Watched until a pool of the same name replaces it; once the ORM is closed it reports zeros.
  if (options.registry) watchPool(options.registry, 'orm', await orm.em.getConnection().getNativeClient())
  return orm
}

function loggerFactory(logger: Logger) {
  return (options: ConstructorParameters<typeof PinoOrmLogger>[1]) => new PinoOrmLogger(logger.child({ component: 'mikro-orm' }), options)
}

function toPath(path: string | URL): string {
  return path instanceof URL ? fileURLToPath(path) : path
}
