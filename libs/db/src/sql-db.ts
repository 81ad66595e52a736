import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { survivePoolErrors } from './pool-errors.js'
import { watchPool } from './pool.metrics.js'
import type { SqlDb } from './sql-transaction.js'

export interface SqlDbOptions {
  /** `postgres://…` of the service's own database. */
  readonly url: string
  /** Connections at most; opened on demand, closed after 10 s idle. */
  readonly poolSize: number
  readonly logger: Logger
  /** Where the pool's gauges go (`db_pool_*{pool="hot-path"}`). @default not reported */
  readonly registry?: Registry | undefined
}

/**
 * The service's database for hot paths (intake, consumers, sweeps): Kysely on a `pg` pool of its
 * own whose sessions plan prepared statements generically (`plan_cache_mode`), every statement
 * sent as a named one. A hot statement's text is the same for every batch (arrays in), so each is
 * parsed and planned once per connection and then only executed: with unnamed statements,
 * PostgreSQL planned every call, about a third of the databases' CPU in `make bench`; with named
 * ones and the default mode it still re-planned every call, because a generic plan of
 * `= any($ids)` is costed for ten ids and so never looked cheaper than the custom plan for one
 * or two. The generic plans are the ones wanted anyway — look-ups by key in key order — and the
 * batch statements give the planner a row count where it matters (`jsonRows`). The ORM's pool,
 * for the read and admin routes, keeps the default. Timestamps stay strings, as the ORM has them.
 */
export function openSqlDb(opts: SqlDbOptions): SqlDb {
  const types = new pg.TypeOverrides()
  // date, timestamp, timestamptz, interval: as PostgreSQL writes them (the ORM's choice too).
  for (const oid of [1082, 1114, 1184, 1186]) types.setTypeParser(oid, (value: string) => value)
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    application_name: 'orderflow-hot-path',
    options: '-c plan_cache_mode=force_generic_plan',
    types,
  })
  survivePoolErrors(pool, (error) => opts.logger.warn({ err: error }, 'hot-path database connection lost'))
  const unwatch = opts.registry ? watchPool(opts.registry, 'hot-path', pool) : () => undefined
  return new Kysely<object>({
    dialect: new PostgresDialect({
      pool: {
        options: pool.options,
        connect: async () => namingStatements(await pool.connect()),
        end: () => {
          unwatch()
          return pool.end()
        },
      },
    }),
  })
}

// Statements longer than this are worth a name; BEGIN, COMMIT and the like are not.
const NAMED_FROM_LENGTH = 60
const names = new Map<string, string>()
let counter = 0

/** The name a statement text is prepared under: one per text, in this process. */
export function statementName(text: string): string {
  let name = names.get(text)
  if (!name) {
    name = `of_${++counter}`
    // Bounded: the texts are a fixed set in practice; past the bound a text runs unnamed.
    if (names.size >= 1_000) return ''
    names.set(text, name)
  }
  return name
}

/** The client with every long enough query sent as a named prepared statement. */
function namingStatements(client: pg.PoolClient): pg.PoolClient {
  const query = (text: unknown, values?: unknown) => {
    const name = typeof text === 'string' && text.length >= NAMED_FROM_LENGTH ? statementName(text) : ''
    return name ? client.query({ name, text: text as string, values: values as unknown[] }) : client.query(text as string, values as unknown[])
  }
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') return query
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
