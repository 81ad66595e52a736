import { sql, type RawBuilder } from 'kysely'
import type { OutboxRow } from './outbox.js'
import { inTransaction, type SqlDb, type SqlTx } from './sql-transaction.js'

/** What statement one found: which events are new to this consumer, and the rows it loaded. */
export interface Claimed<R> {
  /**
   * Whether the event was not handled before by this consumer (ids compare case-insensitively).
   * A function property, not a method: handlers destructure it (`const { isNew } = …`).
   */
  readonly isNew: (eventId: string) => boolean
  /** The rows `load` returned, as JSON (timestamps are ISO strings). */
  readonly rows: R[]
}

/**
 * A consumer's batch transaction, shaped for two statements: statement one records the batch in
 * the inbox and loads (and locks) what the batch changes; statement two writes the new states
 * and the outbox rows.
 */
export interface BatchTx {
  /** The transaction, for statement two (and, where a handler truly needs one, more). */
  readonly db: SqlTx
  /**
   * Statement one: inserts every event id of the batch into the inbox and, in the same statement,
   * runs `load` — the query that reads and locks the rows the batch will change (lock them in key
   * order: two batches locking in one order cannot deadlock). Call it once, first.
   */
  claim<R>(load?: RawBuilder<R>): Promise<Claimed<R>>
  /**
   * The `outboxed as (insert into outbox …)` part of statement two, to place in its `with`
   * list; the rows are published as soon as the transaction commits. With no rows it is a no-op
   * CTE, so statement two's text does not depend on whether there is anything to send.
   */
  outbox(rows: readonly OutboxRow[]): RawBuilder<unknown>
  /** Runs `fn` once the transaction has committed (metrics, an outcome's log line); never if it rolls back. */
  onCommit(fn: () => void): void
}

export interface BatchTransactionOptions {
  readonly db: SqlDb
  /** The consumer's durable name: the inbox key's first half. */
  readonly consumer: string
  /** The event ids of the batch, in order. */
  readonly eventIds: readonly string[]
  /** Called after the commit with every outbox row the transaction wrote (publish after commit). */
  readonly afterCommit?: (rows: readonly OutboxRow[]) => void
  /** Told when an `onCommit` callback throws (the transaction stays committed). @default ignored */
  readonly onCommitError?: (error: unknown) => void
}

/**
 * Runs a consumer's batch in one transaction (again, whole, after a deadlock): the handler gets
 * a {@link BatchTx}, the inbox rows commit with its effects, and what it put in the outbox is
 * handed to `afterCommit` once the commit is done. Rethrows whatever the handler throws, after
 * rolling back: then no inbox row and no effect is kept.
 */
export async function runBatchTransaction<T>(opts: BatchTransactionOptions, work: (tx: BatchTx) => Promise<T>): Promise<T> {
  let written: OutboxRow[] = []
  let committed: Array<() => void> = []
  const result = await inTransaction(opts.db, async (db) => {
    written = []
    committed = []
    return work(batchTx(db, opts, written, committed))
  })
  if (written.length > 0) opts.afterCommit?.(written)
  // Committed is committed: a callback that throws must not make the caller think otherwise.
  for (const fn of committed) {
    try {
      fn()
    } catch (error) {
      opts.onCommitError?.(error)
    }
  }
  return result
}

function batchTx(db: SqlTx, opts: BatchTransactionOptions, written: OutboxRow[], committed: Array<() => void>): BatchTx {
  let claimed = false
  return {
    db,
    async claim<R>(load?: RawBuilder<R>): Promise<Claimed<R>> {
      if (claimed) throw new Error('claim() runs once per batch transaction')
      claimed = true
      // Sorted: inbox rows are inserted (and their keys locked) in one order by every batch, so two
      // batches sharing event ids (a redelivery racing its first delivery) cannot deadlock.
      const ids = [...opts.eventIds].sort()
      const { rows } = await claimStatement(opts.consumer, ids, load).execute(db)
      const row = rows[0]
      const fresh = new Set((row?.fresh ?? []).map((id) => id.toLowerCase()))
      return { isNew: (id) => fresh.has(id.toLowerCase()), rows: (row?.rows ?? []) as R[] }
    },
    outbox(rows) {
      written.push(...rows)
      return outboxCte(rows)
    },
    onCommit(fn) {
      committed.push(fn)
    },
  }
}

/** Statement one (see {@link BatchTx.claim}); its text is the same for every batch size. */
export function claimStatement(consumer: string, eventIds: readonly string[], load?: RawBuilder<unknown>): RawBuilder<{ fresh: string[]; rows: unknown[] }> {
  const loaded = load ? sql`(select coalesce(json_agg(l), '[]'::json) from (${load}) l)` : sql`'[]'::json`
  return sql<{ fresh: string[]; rows: unknown[] }>`with fresh as (
      insert into inbox (consumer, event_id)
      select ${consumer}, id from unnest(${[...eventIds]}::uuid[]) as id
      on conflict do nothing
      returning event_id)
    select (select coalesce(json_agg(event_id), '[]'::json) from fresh) as fresh, ${loaded} as rows`
}

/** `outboxed as (insert into outbox …)`: the rows travel as one JSON array, whatever their number. */
export function outboxCte(rows: readonly OutboxRow[]): RawBuilder<unknown> {
  const json = JSON.stringify(rows.map(({ id, subject, type, payload, headers }) => ({ id, subject, type, payload, headers })))
  return sql`outboxed as (
      insert into outbox (id, subject, type, payload, headers)
      select m.id, m.subject, m.type, m.payload, m.headers
        from jsonb_to_recordset(${json}::jsonb) as m(id uuid, subject text, type text, payload jsonb, headers jsonb))`
}

/**
 * Keys (uuids, SKUs) de-duplicated and sorted: the order a batch locks rows in. Every writer
 * locking in this one order is what keeps two batches from deadlocking.
 */
export function lockOrder(keys: readonly string[]): string[] {
  return [...new Set(keys.map((k) => k.toLowerCase()))].sort()
}

/**
 * `rows` as a FROM item, `(select * from jsonb_to_recordset($json) as r(<columns>) limit $n)`, for
 * the statements that join a batch's rows to a table (an `update … from`). The LIMIT is there for
 * the planner: it estimates every set-returning function at 100 rows, and against 100 rows a hash
 * join over the whole table looks cheaper than 100 index look-ups — so a batch of 3 updated 3
 * orders by reading all 10,000 (measured in `make bench`: the order service's write statement).
 * The LIMIT is a parameter, so the statement's text stays the same for every batch size.
 */
export function jsonRows(rows: readonly unknown[], columns: string): RawBuilder<unknown> {
  return sql`(select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${sql.raw(columns)}) limit ${rows.length})`
}
