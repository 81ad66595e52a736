import type { Logger } from 'pino'
import { DbError } from './db.errors.js'
import type { Orm } from './orm.js'

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
