import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { PLATFORM_DB_PREFIX } from './process-groups.js'

/** Cumulative counters of one database from pg_stat_database. */
export interface DatabaseCounters {
  transactions: number
  rowsWritten: number
  rowsRead: number
}

/** Counters of every platform database (`orderflow_<service>`), by service name. */
export type DatabaseSnapshot = Record<string, DatabaseCounters>

/** The server settings that decide what a commit costs and whether dead rows are cleaned up. */
export const REPORTED_SETTINGS = ['server_version', 'autovacuum', 'fsync', 'synchronous_commit', 'shared_buffers', 'max_connections'] as const

/** Reads the platform databases' activity counters, to count the work one order costs. */
export interface DatabaseStats {
  snapshot(): Promise<DatabaseSnapshot>
  /** The {@link REPORTED_SETTINGS} of the server. */
  settings(): Promise<Record<string, string>>
  /**
   * VACUUM ANALYZE of every platform database. With autovacuum off (as on CI images) dead rows
   * pile up run after run and every index scan of the outbox walks them: vacuuming first makes
   * each run start from the same state instead of measuring the previous run's leftovers.
   */
  vacuum(): Promise<void>
  /**
   * Every `intervalMs` until stopped, vacuums and analyzes the tables that autovacuum would by
   * its thresholds (the server's `autovacuum_*` settings against each table's counters): the
   * benchmark's stand-in for autovacuum, which may be off and otherwise looks only once a
   * minute. Without it, a run on fresh
   * tables keeps the plans PostgreSQL made while they were empty: each foreign-key check of a new
   * order item scanned the whole `orders` table (17 million rows read in one 20 s intake run,
   * the database's CPU doubled, the run collapsed at 600 orders/s); and the outbox's dead rows
   * pile up within the run.
   */
  startHousekeeping(intervalMs: number, onError: (message: string) => void): Housekeeping
  close(): Promise<void>
}

export interface Housekeeping {
  /** Ends the loop after the pass in progress; resolves to the tables vacuumed or analyzed. */
  stop(): Promise<number>
}

/** The tables autovacuum would vacuum or analyze now, with its default formula and the server's settings. */
const TABLES_DUE = `
  WITH t AS (
    SELECT format('%I.%I', s.schemaname, s.relname) AS name, s.n_dead_tup, s.n_mod_since_analyze, greatest(c.reltuples, 0) AS tuples
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid)
  SELECT name,
         n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8
                      + current_setting('autovacuum_vacuum_scale_factor')::float8 * tuples AS vacuum,
         n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
                               + current_setting('autovacuum_analyze_scale_factor')::float8 * tuples AS analyze
    FROM t`

export interface DatabaseStatsOptions {
  /**
   * The platform's databases are those whose name starts with this; the figures are keyed by the
   * rest of the name (`orderflow_order` → `order`). @default PLATFORM_DB_PREFIX (`orderflow_`)
   */
  databasePrefix?: string
}

/** `prefix%` for LIKE, the prefix's own `_`, `%` and `\` taken literally. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\_%]/g, (c) => `\\${c}`)}%`
}

/** Every database of the platform on the server (name starts with `prefix`), sorted by name. */
export async function platformDatabases(client: pg.ClientBase, prefix: string = PLATFORM_DB_PREFIX): Promise<string[]> {
  const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname`, [likePrefix(prefix)])
  return rows.map((r) => r.datname)
}

/**
 * Keeps a session's own statements out of pg_stat_statements (a superuser setting; elsewhere
 * they count), so the benchmark's VACUUMs and readings are not taken for the platform's work.
 * Harmless where the extension is not loaded.
 */
export async function untracked(client: pg.ClientBase): Promise<boolean> {
  try {
    await client.query(`SET pg_stat_statements.track = 'none'`)
    return true
  } catch {
    return false
  }
}

/**
 * Connects to the server's `postgres` database. The counters need no extension and no setting
 * (statements per order, which need pg_stat_statements, are statement-stats.ts'): commits and
 * rollbacks, rows inserted, updated and deleted, rows read by scans. Backends publish them at
 * most once a second, so a snapshot lags the truth by about that much.
 */
export async function connectDatabaseStats(urlBase: string, options: DatabaseStatsOptions = {}): Promise<DatabaseStats> {
  const connect = async (database: string) => {
    const c = new pg.Client({ connectionString: `${urlBase}/${database}`, application_name: 'orderflow-bench' })
    // A connection the server drops (PostgreSQL restarted under the run) makes the queries that
    // follow reject, and every reader reports that; the event itself must not end the benchmark.
    c.on('error', () => {})
    await c.connect()
    return c
  }
  const prefix = options.databasePrefix ?? PLATFORM_DB_PREFIX
  const client = await connect('postgres')
  // One connection per database, kept: housekeeping vacuums every few seconds.
  const vacuumClients = new Map<string, pg.Client>()
  const vacuumClient = async (datname: string) => {
    let c = vacuumClients.get(datname)
    if (!c) {
      c = await connect(datname)
      await untracked(c)
      // A database dropped under us (the intake sandbox at the end), or a server restarted,
      // ends this connection: the next pass opens another.
      c.on('error', () => vacuumClients.delete(datname))
      vacuumClients.set(datname, c)
    }
    return c
  }
  const vacuum = async () => {
    for (const datname of await platformDatabases(client, prefix)) await (await vacuumClient(datname)).query('VACUUM (ANALYZE)')
  }
  /** One pass of the stand-in for autovacuum; returns how many tables it cleaned or analyzed. */
  const vacuumWhatIsDue = async () => {
    let done = 0
    for (const datname of await platformDatabases(client, prefix)) {
      const db = await vacuumClient(datname)
      const { rows } = await db.query<{ name: string; vacuum: boolean; analyze: boolean }>(TABLES_DUE)
      for (const table of rows) {
        if (table.vacuum) await db.query(`VACUUM (ANALYZE) ${table.name}`)
        else if (table.analyze) await db.query(`ANALYZE ${table.name}`)
        else continue
        done++
      }
    }
    return done
  }
  return {
    async snapshot() {
      const { rows } = await client.query<{ db: string; xacts: string; written: string; read: string }>(
        `SELECT substr(datname, length($2::text) + 1) AS db,
                xact_commit + xact_rollback AS xacts,
                tup_inserted + tup_updated + tup_deleted AS written,
                tup_returned AS read
           FROM pg_stat_database
          WHERE datname LIKE $1`,
        [likePrefix(prefix), prefix],
      )
      return Object.fromEntries(rows.map((r) => [r.db, { transactions: Number(r.xacts), rowsWritten: Number(r.written), rowsRead: Number(r.read) }]))
    },
    async settings() {
      const { rows } = await client.query<{ name: string; setting: string }>(
        `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1)`,
        [REPORTED_SETTINGS],
      )
      return Object.fromEntries(rows.map((r) => [r.name, r.setting]))
    },
    vacuum,
    startHousekeeping(intervalMs, onError) {
      const stopping = new AbortController()
      let tables = 0
      const loop = (async () => {
        while (!stopping.signal.aborted) {
          await sleep(intervalMs, undefined, { signal: stopping.signal }).catch(() => {})
          if (stopping.signal.aborted) break
          try {
            tables += await vacuumWhatIsDue()
          } catch (error) {
            onError(error instanceof Error ? error.message : String(error))
          }
        }
      })()
      return {
        async stop() {
          stopping.abort()
          await loop
          return tables
        },
      }
    },
    async close() {
      await Promise.allSettled([...vacuumClients.values()].map((c) => c.end()))
      vacuumClients.clear()
      await client.end()
    },
  }
}

/** What changed between two snapshots, divided by `orders`. */
export function perOrder(before: DatabaseSnapshot, after: DatabaseSnapshot, orders: number): DatabaseSnapshot {
  const out: DatabaseSnapshot = {}
  if (orders <= 0) return out
  for (const [db, a] of Object.entries(after)) {
    const b = before[db] ?? { transactions: 0, rowsWritten: 0, rowsRead: 0 }
    out[db] = {
      transactions: (a.transactions - b.transactions) / orders,
      rowsWritten: (a.rowsWritten - b.rowsWritten) / orders,
      rowsRead: (a.rowsRead - b.rowsRead) / orders,
    }
  }
  return out
}
