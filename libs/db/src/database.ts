import pg from 'pg'
import { DatabaseUrlError } from './db.errors.js'

export interface EnsureDatabaseOptions {
  /** Database to connect to while the target may not exist yet. @default postgres */
  maintenanceDatabase?: string
}

/**
 * Creates the database the URL names unless it exists; returns whether it created it. For
 * `make up` and test setups: in a cluster the database is provisioned with the server, and the
 * service's own user usually may not create databases.
 *
 * Safe to run concurrently: a creation that loses the race counts as "already there".
 */
export async function ensureDatabase(url: string, options: EnsureDatabaseOptions = {}): Promise<boolean> {
  const name = databaseName(url)
  const admin = new URL(url)
  admin.pathname = `/${options.maintenanceDatabase ?? 'postgres'}`
  const client = new pg.Client({ connectionString: admin.toString(), application_name: 'orderflow-ensure-database' })
  // The server going away rejects the query in progress; the event must not end the process too.
  client.on('error', () => {})
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount) return false
    try {
      await client.query(`create database ${quoteIdentifier(name)}`)
      return true
    } catch (error) {
      // 42P04 duplicate_database; 23505 when two creations collide in the catalog's unique index.
      const code = (error as { code?: string }).code
      if (code === '42P04' || code === '23505') return false
      throw error
    }
  } finally {
    await client.end()
  }
}

export interface PingDatabaseOptions {
  /** Connect to this database instead of the URL's (e.g. `postgres`, before creating the URL's). @default the URL's */
  database?: string
  /** Give up on a connection attempt after this long. @default 5000 */
  connectTimeoutMs?: number
}

/**
 * Connects with the URL and runs `select 1`, then disconnects; throws the driver's error when the
 * server does not answer or refuses. For a job that waits for its database before it starts.
 */
export async function pingDatabase(url: string, options: PingDatabaseOptions = {}): Promise<void> {
  databaseName(url)
  const target = new URL(url)
  if (options.database !== undefined) target.pathname = `/${options.database}`
  const client = new pg.Client({ connectionString: target.toString(), application_name: 'orderflow-ping', connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** The database a `postgres://` URL names, or a {@link DatabaseUrlError}. */
export function databaseName(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new DatabaseUrlError('not a URL: expected postgres://user:password@host:port/database', { cause: error })
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseUrlError(`unsupported protocol ${parsed.protocol} (expected postgres:)`)
  }
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  if (!name) throw new DatabaseUrlError('the URL names no database (expected postgres://…/database)')
  return name
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
