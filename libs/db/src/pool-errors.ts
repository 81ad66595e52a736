import type pg from 'pg'

/**
 * Keeps a `pg` pool's lost connections from ending the process. pg emits 'error' on a client
 * whose server goes away — PostgreSQL restarting, a failover, a backend terminated — and an
 * 'error' event nobody listens to is thrown. The pool listens on its idle clients only (it
 * re-emits their errors as its own, reported here), not on the ones checked out, mid-query: for
 * those the query in progress rejects, its caller reports that, and the event itself is dropped.
 * The next query gets a fresh connection either way.
 */
export function survivePoolErrors(pool: pg.Pool, reportIdleLoss: (error: Error) => void): void {
  pool.on('error', (error) => {
    // pg-pool hangs the whole client on the error: logged, that is 5 KB of socket state a line.
    delete (error as Error & { client?: unknown }).client
    reportIdleLoss(error)
  })
  pool.on('connect', (client) => client.on('error', () => {}))
}
