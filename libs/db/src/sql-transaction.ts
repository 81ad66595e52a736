import type { Kysely, Transaction } from 'kysely'

/**
 * The Kysely of a service's database, for hot paths that write their own SQL. It is MikroORM's
 * own client (`orm.em.getConnection().getClient()`), so the hot paths and the ORM share one pool.
 */
export type SqlDb = Kysely<object>

/** A transaction on {@link SqlDb}. */
export type SqlTx = Transaction<object>

/** SQLSTATEs that mean "run the whole transaction again": a deadlock victim, a serialization failure. */
const RETRYABLE = new Set(['40P01', '40001'])

/** Attempts of one transaction before its error is the caller's. */
const ATTEMPTS = 3

/**
 * Runs `work` in a transaction, again (up to three times) when PostgreSQL chose it as a deadlock
 * victim or failed to serialize it: both say nothing about the work itself, and a fresh attempt
 * reads the winner's rows. Any other error rolls back and is rethrown.
 */
export async function inTransaction<T>(db: SqlDb, work: (tx: SqlTx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work)
    } catch (error) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has(sqlState(error) ?? '')) throw error
    }
  }
}

/** The SQLSTATE of a `pg` error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
