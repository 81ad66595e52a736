import type pg from 'pg'
import type { CloudEvent } from '@orderflow/contracts'
import type { OutboxRecord } from './outbox.js'

// The relay's statements. Each is one round trip; none needs a transaction of its own.

interface ClaimedRow {
  id: string
  seq: string
  subject: string
  type: string
  payload: CloudEvent
  headers: Record<string, string> | null
  attempts: number
  created_at: Date
}

/**
 * Claims up to `limit` unsent rows older than `minAgeMs` that nobody holds, oldest first, for
 * `ttlMs` (younger rows are still being published by the process that committed them). SKIP LOCKED lets
 * several relays claim side by side without waiting for each other; the claim expiry hands a
 * dead relay's rows to the others.
 */
export async function claimBatch(db: pg.Pool, limit: number, ttlMs: number, minAgeMs = 0): Promise<OutboxRecord[]> {
  const { rows } = await db.query<ClaimedRow>(
    `with claimed as (
       update outbox
          set claimed_until = now() + $2::float8 * interval '1 millisecond', attempts = attempts + 1
        where id in (select id from outbox
                      where sent_at is null and (claimed_until is null or claimed_until < now())
                        and created_at <= now() - $3::float8 * interval '1 millisecond'
                      order by seq
                      limit $1
                      for update skip locked)
       returning id, seq, subject, type, payload, headers, attempts, created_at)
     select * from claimed order by seq`,
    [limit, ttlMs, minAgeMs],
  )
  return rows.map((r) => ({
    id: r.id,
    seq: r.seq,
    subject: r.subject,
    type: r.type,
    event: r.payload,
    headers: r.headers ?? {},
    attempts: r.attempts,
    createdAt: r.created_at,
  }))
}

/**
 * Marks published rows sent in one statement; returns each one's seconds from enqueue to sent.
 * `last_error` is left as it was: why an event needed retries stays readable until the purge.
 */
export async function markSent(db: pg.Pool, ids: readonly string[]): Promise<number[]> {
  const { rows } = await db.query<{ latency: number }>(
    `update outbox set sent_at = now(), claimed_until = null
      where id = any($1::uuid[]) and sent_at is null
      returning extract(epoch from (now() - created_at))::float8 as latency`,
    [ids],
  )
  return rows.map((r) => r.latency)
}

/**
 * Records why publishing failed and keeps the rows claimed for a backoff that doubles with each
 * attempt (`retryDelayMs`, 2×, 4× … up to `maxRetryDelayMs`); after it any relay retries them.
 */
export async function recordFailures(
  db: pg.Pool,
  failures: ReadonlyArray<{ id: string; error: string }>,
  retryDelayMs: number,
  maxRetryDelayMs: number,
): Promise<void> {
  await db.query(
    `update outbox o
        set last_error = f.error,
            claimed_until = now() + least($3::float8 * power(2, greatest(o.attempts - 1, 0)), $4::float8) * interval '1 millisecond'
       from unnest($1::uuid[], $2::text[]) as f(id, error)
      where o.id = f.id and o.sent_at is null`,
    [failures.map((f) => f.id), failures.map((f) => f.error), retryDelayMs, maxRetryDelayMs],
  )
}

/** Deletes rows sent more than `retentionMs` ago, in chunks so no statement holds locks for long. */
export async function purgeSent(db: pg.Pool, retentionMs: number, chunk = 5_000): Promise<number> {
  let total = 0
  for (;;) {
    const { rowCount } = await db.query(
      `delete from outbox where id in (
         select id from outbox where sent_at < now() - $1::float8 * interval '1 millisecond' limit $2)`,
      [retentionMs, chunk],
    )
    total += rowCount ?? 0
    if ((rowCount ?? 0) < chunk) return total
  }
}

/** Unsent outbox events: how many, and how long the oldest has waited (0 when none). */
export interface PendingOutbox {
  readonly count: number
  readonly oldestAgeSeconds: number
}

/**
 * Both from `outbox_pending_idx` (unsent rows by `seq`): the count an index-only scan, the oldest
 * the first entry — `seq` follows the order rows were written, so its row is the one that has
 * waited longest.
 */
export async function countPending(db: pg.Pool): Promise<PendingOutbox> {
  const { rows } = await db.query<{ n: number; oldest: number | null }>(
    `select (select count(*)::int from outbox where sent_at is null) as n,
            (select extract(epoch from now() - created_at)::float8 from outbox where sent_at is null order by seq limit 1) as oldest`,
  )
  return { count: rows[0]?.n ?? 0, oldestAgeSeconds: Math.max(0, rows[0]?.oldest ?? 0) }
}

/** Whether the outbox table exists, so a relay started before the migrations says so plainly. */
export async function outboxTableExists(db: pg.Pool): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>(`select to_regclass('outbox') is not null as found`)
  return rows[0]?.found ?? false
}
