import pg from 'pg'

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
  close(): Promise<void>
}

/**
 * Connects to the server's `postgres` database. The counters need no extension and no setting
 * (pg_stat_statements would need a server restart): commits and rollbacks, rows inserted,
 * updated and deleted, rows read by scans. Backends publish them at most once a second, so a
 * snapshot lags the truth by about that much.
 */
export async function connectDatabaseStats(urlBase: string): Promise<DatabaseStats> {
  const connect = async (database: string) => {
    const c = new pg.Client({ connectionString: `${urlBase}/${database}`, application_name: 'orderflow-bench' })
    await c.connect()
    return c
  }
  const client = await connect('postgres')
  return {
    async snapshot() {
      const { rows } = await client.query<{ db: string; xacts: string; written: string; read: string }>(
        `SELECT substr(datname, length('orderflow_') + 1) AS db,
                xact_commit + xact_rollback AS xacts,
                tup_inserted + tup_updated + tup_deleted AS written,
                tup_returned AS read
           FROM pg_stat_database
          WHERE datname LIKE 'orderflow\\_%'`,
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
    async vacuum() {
      const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'orderflow\\_%'`)
      for (const { datname } of rows) {
        const db = await connect(datname)
        try {
          await db.query('VACUUM (ANALYZE)')
        } finally {
          await db.end()
        }
      }
    },
    close: () => client.end(),
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
