import type { Logger } from 'pino'
import type { SqlDb } from '@orderflow/db'
import { insertCallRecords, type CallRecord } from './call-records.sql.js'

/**
 * Records provider calls that failed (unavailable, timed out, refused, circuit open) in a
 * statement of their own, outside the batch's transaction: that transaction is about to roll
 * back, yet the call happened, and the record is both the audit trail the API shows and the
 * trace a void looks for to cancel an authorization whose answer was lost.
 *
 * Not awaited by the consumer: the transaction holds a pool connection until it rolls back, so
 * waiting for a second one inside it could stall every consumer when the pool runs dry.
 * A record that cannot be written (the database is down) is logged and dropped.
 */
export class FailedCallLog {
  private readonly pending = new Set<Promise<void>>()

  constructor(
    private readonly db: SqlDb,
    private readonly logger: Logger,
  ) {}

  record(records: readonly CallRecord[]): void {
    if (records.length === 0) return
    const write = insertCallRecords(records)
      .execute(this.db)
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err, calls: records.length }, 'could not record failed provider calls'),
      )
      .finally(() => this.pending.delete(write))
    this.pending.add(write)
  }

  /** Waits for every record under way (at shutdown, and in tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending)
  }
}
