import type { EntityManager } from '@mikro-orm/postgresql'
import type { Logger } from 'pino'
import { DbError } from './db.errors.js'
import type { Orm } from './orm.js'

/** Identifies one event for one consumer. */
export interface InboxKey {
  /** The consumer's durable name, e.g. `inventory-reserve`. */
  consumer: string
  /** The CloudEvent id (a UUID). */
  eventId: string
}

export type ProcessOnceResult<T> = { readonly duplicate: true } | { readonly duplicate: false; readonly result: T }

/**
 * Runs `work` at most once per (consumer, event id) with effect: in a fresh EntityManager fork
 * and one transaction it records the event in the inbox, runs `work`, flushes and commits, so
 * the effects and the record commit together. An event already recorded returns
 * `{ duplicate: true }` without running `work`; if `work` throws, the record rolls back with
 * the effects and a redelivery runs it again. Exactly-once effects over at-least-once delivery.
 *
 * Two deliveries of one event processed at the same moment (two replicas, a redelivery racing
 * a slow handler) serialise on the inbox's primary key: the second waits for the first to
 * commit, then sees the record — or, if the first rolled back, runs `work` itself.
 */
export async function processOnce<T>(orm: Orm, key: InboxKey, work: (em: EntityManager) => T | Promise<T>): Promise<ProcessOnceResult<T>> {
  return orm.em.fork().transactional(async (em): Promise<ProcessOnceResult<T>> => {
    const inserted = await em.execute<{ affectedRows: number }>(
      'insert into inbox (consumer, event_id) values (?, ?) on conflict do nothing',
      [key.consumer, key.eventId],
      'run',
    )
    if (inserted.affectedRows === 0) return { duplicate: true }
    const result = await work(em)
    return { duplicate: false, result }
  })
}

/**
 * The batch form of {@link processOnce}, for a consumer that is behind: one transaction records
 * every event in the inbox (one statement) and runs `work` once with the events not recorded
 * before — in the order given, a repeated id only once — then flushes and commits. All or
 * nothing: if `work` throws, no record and no effect commits, and the caller may process the
 * events one by one. `work` runs even when every event is a duplicate (with none), so its
 * result is always there.
 *
 * `work` handles several events in one transaction, so it must take the locks it needs in an
 * order every batch agrees on (sorted keys, in one statement), or two batches can deadlock.
 */
export async function processBatchOnce<E extends { readonly id: string }, T>(
  orm: Orm,
  consumer: string,
  events: readonly E[],
  work: (em: EntityManager, fresh: readonly E[]) => T | Promise<T>,
): Promise<T> {
  return orm.em.fork().transactional(async (em) => {
    const fresh = events.length === 0 ? [] : await recordNew(em, consumer, events)
    return work(em, fresh)
  })
}

async function recordNew<E extends { readonly id: string }>(em: EntityManager, consumer: string, events: readonly E[]): Promise<E[]> {
  const rows = await em.execute<Array<{ event_id: string }>>(
    `insert into inbox (consumer, event_id) values ${events.map(() => '(?, ?)').join(', ')}
     on conflict do nothing returning event_id`,
    events.flatMap((e) => [consumer, e.id]),
  )
  // PostgreSQL answers with the canonical (lower-case) form of each uuid.
  const inserted = new Set(rows.map((r) => r.event_id))
  return events.filter((e) => inserted.delete(e.id.toLowerCase()))
}

/**
 * Deletes inbox records older than `retentionDays`; returns how many. A deleted record no longer
 * protects its event: a copy delivered after that (a late JetStream redelivery, a dead letter
 * replayed by an operator) would be processed again. Keep the retention longer than the
 * stream's `max_age` and any replay you would still perform — that is the trade-off between
 * the table's size and the window of deduplication.
 */
export async function purgeInbox(orm: Orm, retentionDays: number): Promise<number> {
  if (!(retentionDays >= 0)) throw new DbError(`retentionDays must be zero or more (got ${retentionDays})`)
  const em = orm.em.fork()
  let total = 0
  const chunk = 5_000
  for (;;) {
    // In chunks, so a first cleanup of a large table does not hold one long delete.
    const { affectedRows } = await em.execute<{ affectedRows: number }>(
      `delete from inbox where (consumer, event_id) in (
         select consumer, event_id from inbox where processed_at < now() - ? * interval '1 day' limit ?)`,
      [retentionDays, chunk],
      'run',
    )
    total += affectedRows
    if (affectedRows < chunk) return total
  }
}

export interface InboxCleanupOptions {
  logger: Logger
  /** Records younger than this are kept (see {@link purgeInbox} for choosing it). @default 7 */
  retentionDays?: number
  /** Time between cleanups; the first runs after one interval. @default 3600000 (1 h) */
  intervalMs?: number
}

export interface InboxCleanup {
  /** Stops the schedule, waiting for a cleanup in progress. */
  stop(): Promise<void>
}

/** Runs {@link purgeInbox} periodically. Replicas may all run it: deleting twice is harmless. */
export function startInboxCleanup(orm: Orm, options: InboxCleanupOptions): InboxCleanup {
  const retentionDays = options.retentionDays ?? 7
  const intervalMs = options.intervalMs ?? 3_600_000
  if (!(retentionDays >= 0)) throw new DbError(`retentionDays must be zero or more (got ${retentionDays})`)
  if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new DbError(`intervalMs must be a positive integer (got ${intervalMs})`)
  const logger = options.logger.child({ component: 'inbox-cleanup' })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  const schedule = () => {
    timer = setTimeout(() => {
      running = purgeInbox(orm, retentionDays).then(
        (deleted) => {
          if (deleted > 0) logger.debug({ deleted }, 'purged old inbox records')
        },
        (error: unknown) => logger.warn({ err: error }, 'could not purge old inbox records'),
      )
      void running.then(() => {
        if (!stopped) schedule()
      })
    }, intervalMs)
  }
  schedule()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
