import pg from 'pg'
import { likePrefix, platformDatabases, untracked } from './db-stats.js'
import { PLATFORM_DB_PREFIX } from './process-groups.js'

/**
 * Calls of each normalised statement (pg_stat_statements' `queryid`, summed over users and
 * nesting levels) by platform database, the database named without the prefix (`order`).
 */
export interface StatementSnapshot {
  calls: Record<string, Record<string, number>>
  /** `pg_stat_statements_info.dealloc`: entries evicted so far for want of room; null before PostgreSQL 14. */
  evictions: number | null
}

/** One statement's share of an order. */
export interface TopStatement {
  database: string
  queryId: string
  /** pg_stat_statements' normalised text (`$1` for constants), white space collapsed, truncated. */
  query: string
  callsPerOrder: number
}

/** SQL statements the platform's databases executed per order over the measured window. */
export interface StatementsPerOrder {
  total: number
  byDatabase: Record<string, number>
  /** The statements with the most calls per order, most first. */
  top: TopStatement[]
  /**
   * Entries pg_stat_statements evicted during the window (its `pg_stat_statements.max` was
   * reached): their calls are missing, so the figures are too low. Null when unknown.
   */
  evicted: number | null
}

/** A run's statements per order, or why they were not counted: `not measured (<why>)`. */
export type StatementsFigure = StatementsPerOrder | string

/** What the report and the JSON say when the server does not collect statement statistics. */
export const NOT_LOADED = 'not measured (pg_stat_statements not loaded)'

/** Reads pg_stat_statements for the platform's databases. */
export interface StatementCounter {
  snapshot(): Promise<StatementSnapshot>
  /** The normalised text of the given statements, by `<database>/<queryId>`. */
  queryTexts(statements: readonly { database: string; queryId: string }[]): Promise<Map<string, string>>
  /** The platform databases the extension exists in (full names). */
  readonly databases: readonly string[]
  /** `<database>: <error>` for each platform database the extension could not be created in. */
  readonly refusals: readonly string[]
  /** The server's `pg_stat_statements.track`: `top` counts the statements clients send, `all` those run inside functions too. */
  readonly track: string
  /**
   * False when the counter's own session could not be kept out of the statistics (not a
   * superuser): its two statements per reading then count in the first platform database.
   */
  readonly ownStatementsExcluded: boolean
  close(): Promise<void>
}

export interface StatementCounterOptions {
  /** As in {@link DatabaseStatsOptions}: the platform's databases are those whose name starts with it. */
  databasePrefix?: string
}

/** Statements of the top list: enough for the report's few and for the JSON's reader. */
export const TOP_STATEMENTS = 10
const QUERY_TEXT_CHARS = 200

/**
 * Sets up statement counting when the server can do it: pg_stat_statements must be in
 * `shared_preload_libraries` (it collects nothing otherwise, and loading it takes a restart),
 * and `CREATE EXTENSION IF NOT EXISTS pg_stat_statements` must succeed in a platform database
 * (it is run in every one, so each has the view). The extension's view shows the whole
 * server, so one session reads every database's statements, joined to pg_database by `dbid`.
 * Resolves to the reason, `not measured (…)`, when it cannot. `close()` drops the extension
 * again from the databases that did not have it: the statistics are the server's (the preloaded
 * library collects them either way), the extension only shows them.
 */
export async function connectStatementCounter(urlBase: string, options: StatementCounterOptions = {}): Promise<StatementCounter | string> {
  const prefix = options.databasePrefix ?? PLATFORM_DB_PREFIX
  const connect = async (database: string) => {
    const c = new pg.Client({ connectionString: `${urlBase}/${database}`, application_name: 'orderflow-bench' })
    // A connection the server drops (PostgreSQL restarted under the run) makes the queries that
    // follow reject, and every reader reports that; the event itself must not end the benchmark.
    c.on('error', () => {})
    await c.connect()
    return c
  }
  const admin = await connect('postgres')
  let databases: string[]
  let track: string
  try {
    const loaded = await preloaded(admin)
    if (!loaded.ok) return loaded.reason
    track = loaded.track
    databases = await platformDatabases(admin, prefix)
  } finally {
    await admin.end()
  }
  if (databases.length === 0) return `not measured (no database named ${prefix}*)`

  const created: string[] = []
  /** Databases that had no pg_stat_statements before: it is dropped from them again at the end. */
  const ours: string[] = []
  const refusals: string[] = []
  let reader: pg.Client | undefined
  for (const database of databases) {
    let c: pg.Client | undefined
    try {
      c = await connect(database)
      await untracked(c)
      const existed = (await c.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`)).rowCount === 1
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
      created.push(database)
      if (!existed) ours.push(database)
      if (reader === undefined) {
        reader = c
        continue
      }
    } catch (error) {
      refusals.push(`${database}: ${error instanceof Error ? error.message : String(error)}`)
    }
    await c?.end().catch(() => {})
  }
  if (reader === undefined) return `not measured (pg_stat_statements cannot be created: ${refusals[0] ?? 'no database'})`
  const session = reader
  const ownStatementsExcluded = await untracked(session)
  const { rows } = await session.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`,
  )
  const schema = pg.escapeIdentifier(rows[0]?.schema ?? 'public')
  const pattern = likePrefix(prefix)

  return {
    databases: created,
    refusals,
    track,
    ownStatementsExcluded,
    async snapshot() {
      const { rows } = await session.query<{ db: string; queryid: string; calls: string }>(
        `SELECT substr(d.datname, length($2::text) + 1) AS db, s.queryid::text AS queryid, sum(s.calls)::text AS calls
           FROM ${schema}.pg_stat_statements(false) s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname LIKE $1 AND s.queryid IS NOT NULL
          GROUP BY 1, 2`,
        [pattern, prefix],
      )
      const calls: StatementSnapshot['calls'] = {}
      for (const r of rows) (calls[r.db] ??= {})[r.queryid] = Number(r.calls)
      const evictions = await session
        .query<{ dealloc: string }>(`SELECT dealloc::text AS dealloc FROM ${schema}.pg_stat_statements_info`)
        .then((r) => (r.rows[0] ? Number(r.rows[0].dealloc) : null))
        .catch(() => null)
      return { calls, evictions }
    },
    async queryTexts(statements) {
      const texts = new Map<string, string>()
      if (statements.length === 0) return texts
      const { rows } = await session.query<{ db: string; queryid: string; query: string }>(
        `SELECT DISTINCT ON (1, 2) substr(d.datname, length($2::text) + 1) AS db, s.queryid::text AS queryid, s.query
           FROM ${schema}.pg_stat_statements(true) s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname LIKE $1 AND s.queryid::text = ANY($3::text[])`,
        [pattern, prefix, [...new Set(statements.map((s) => s.queryId))]],
      )
      for (const r of rows) texts.set(`${r.db}/${r.queryid}`, shortQuery(r.query))
      return texts
    },
    async close() {
      await session.end()
      // Left as found: the extension's views in a service's schema would otherwise turn up as
      // views to drop in the next migration generated against that database.
      for (const database of ours) {
        const c = await connect(database).catch(() => undefined)
        await c?.query('DROP EXTENSION IF EXISTS pg_stat_statements').catch(() => {})
        await c?.end().catch(() => {})
      }
    },
  }
}

/** Whether pg_stat_statements collects, and what (`top`: statements clients send; `all`: those inside functions too); otherwise the `not measured (…)` reason. */
async function preloaded(admin: pg.ClientBase): Promise<{ ok: true; track: string } | { ok: false; reason: string }> {
  const { rows } = await admin.query<{ libs: string | null; track: string | null }>(
    `SELECT current_setting('shared_preload_libraries', true) AS libs, current_setting('pg_stat_statements.track', true) AS track`,
  )
  const row = rows[0]
  // The library defines its settings only when preloaded: where the list is hidden from this
  // user, a defined setting still tells.
  const loaded = row?.libs != null ? preloadList(row.libs).includes('pg_stat_statements') : row?.track != null
  if (!loaded || row?.track == null) return { ok: false, reason: NOT_LOADED }
  if (row.track === 'none') return { ok: false, reason: 'not measured (pg_stat_statements.track is none)' }
  return { ok: true, track: row.track }
}

/** The libraries of a `shared_preload_libraries` value, by file name: `'$libdir/pg_stat_statements', auto_explain` → both names. */
export function preloadList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim().replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'))
    .map((s) => s.slice(s.lastIndexOf('/') + 1).replace(/\.so$/, ''))
    .filter((s) => s !== '')
}

/** White space collapsed, cut to a readable length. */
export function shortQuery(query: string, chars = QUERY_TEXT_CHARS): string {
  const flat = query.replace(/\s+/g, ' ').trim()
  return flat.length <= chars ? flat : `${flat.slice(0, chars - 1)}…`
}

/** What each statement was called between two snapshots; one whose count went back (statistics reset, entry evicted and re-entered) counts from zero. */
export function statementIncrease(before: StatementSnapshot, after: StatementSnapshot): { database: string; queryId: string; calls: number }[] {
  const out: { database: string; queryId: string; calls: number }[] = []
  for (const [database, statements] of Object.entries(after.calls)) {
    for (const [queryId, calls] of Object.entries(statements)) {
      const was = before.calls[database]?.[queryId] ?? 0
      const increase = calls >= was ? calls - was : calls
      if (increase > 0) out.push({ database, queryId, calls: increase })
    }
  }
  return out.sort((a, b) => b.calls - a.calls || a.database.localeCompare(b.database) || a.queryId.localeCompare(b.queryId))
}

/**
 * Statements per order between two snapshots: in total, by database, and the {@link TOP_STATEMENTS}
 * most called with their text. Every database of the prefix counts, the idle ones with zero.
 */
export async function statementsPerOrder(
  counter: Pick<StatementCounter, 'queryTexts'>,
  before: StatementSnapshot,
  after: StatementSnapshot,
  orders: number,
): Promise<StatementsFigure> {
  if (!(orders > 0)) return 'not measured (no order completed in the window)'
  const increases = statementIncrease(before, after)
  const byDatabase: Record<string, number> = Object.fromEntries(Object.keys(after.calls).sort().map((db) => [db, 0]))
  let total = 0
  for (const s of increases) {
    byDatabase[s.database] = (byDatabase[s.database] ?? 0) + s.calls / orders
    total += s.calls
  }
  const top = increases.slice(0, TOP_STATEMENTS)
  const texts = await counter.queryTexts(top)
  return {
    total: total / orders,
    byDatabase,
    top: top.map((s) => ({ database: s.database, queryId: s.queryId, query: texts.get(`${s.database}/${s.queryId}`) ?? '(text not available)', callsPerOrder: s.calls / orders })),
    evicted: before.evictions !== null && after.evictions !== null ? Math.max(0, after.evictions - before.evictions) : null,
  }
}
