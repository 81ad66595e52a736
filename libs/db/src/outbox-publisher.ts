import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { OutboxRecord, OutboxRow } from './outbox.js'
import type { PublishBatch } from './outbox-relay.js'
import { outboxMetrics } from './outbox.metrics.js'
import type { SqlDb } from './sql-transaction.js'

export interface OutboxPublisherOptions {
  readonly db: SqlDb
  /** Sends a batch to the broker (pipelined, `Nats-Msg-Id` = event id). */
  readonly publish: PublishBatch
  readonly logger: Logger
  /** Where the `outbox_*` metrics are registered. @default prom-client's global registry */
  readonly registry?: Registry
  /**
   * How long published ids gather before one statement marks them sent. Marking is bookkeeping
   * for the sweep, not for delivery, so it can wait: the longer the wait, the more ids share the
   * statement (under load, one statement per interval, whatever the rate). Keep it well under
   * the relay's `sweepAfterMs`, or the sweep publishes (harmless, deduplicated) copies. @default 250
   */
  readonly markIntervalMs?: number
}

/**
 * Publishes what a transaction put in the outbox right after it committed, from the process that
 * committed it: no relay round trip, no NOTIFY, no claim. The rows are marked sent in batches —
 * the ids published during `markIntervalMs` share one `update` — so marking costs a few
 * statements a second, not one per transaction. A row whose publish fails, or that a crash
 * leaves unsent, stays for the relay's sweep (`startOutboxRelay`), which publishes it again under
 * the same `Nats-Msg-Id`: JetStream drops the copy if the first one did arrive after all.
 */
export interface OutboxPublisher {
  /** Publishes committed rows; never throws or rejects (failures are left to the sweep). */
  publishCommitted(rows: readonly OutboxRow[]): void
  /** Waits for every publish and mark under way. */
  flush(): Promise<void>
}

export function createOutboxPublisher(opts: OutboxPublisherOptions): OutboxPublisher {
  const metrics = outboxMetrics(opts.registry)
  const logger = opts.logger.child({ component: 'outbox-publisher' })
  const inFlight = new Set<Promise<void>>()
  const markIntervalMs = opts.markIntervalMs ?? 250
  let toMark: string[] = []
  let marking: Promise<void> | undefined
  let markTimer: NodeJS.Timeout | undefined

  const markSoon = () => {
    if (markTimer || marking || toMark.length === 0) return
    markTimer = setTimeout(markNow, markIntervalMs)
  }
  const markNow = () => {
    markTimer = undefined
    if (marking || toMark.length === 0) return
    const ids = toMark
    toMark = []
    marking = markSent(opts.db, ids)
      .then((latencies) => {
        metrics.published.inc(latencies.length)
        for (const seconds of latencies) metrics.latency.observe(Math.max(0, seconds))
      })
      .catch((error: unknown) => logger.warn({ err: error, events: ids.length }, 'could not mark published events sent; the sweep publishes them again'))
      .finally(() => {
        marking = undefined
        markSoon()
      })
  }

  const publish = async (rows: readonly OutboxRow[]) => {
    const records = rows.map(toRecord)
    let outcomes: Awaited<ReturnType<PublishBatch>>
    try {
      outcomes = await opts.publish(records)
    } catch (error) {
      outcomes = records.map(() => ({ ok: false, error }))
    }
    let failed = 0
    records.forEach((record, i) => {
      if (outcomes[i]?.ok) toMark.push(record.id)
      else failed++
    })
    if (failed > 0) {
      metrics.failures.inc(failed)
      logger.warn({ failed, events: records.length }, 'publishing after commit failed; the sweep retries')
    }
    markSoon()
  }

  return {
    publishCommitted(rows) {
      if (rows.length === 0) return
      const task = publish(rows).finally(() => inFlight.delete(task))
      inFlight.add(task)
    },
    async flush() {
      while (inFlight.size > 0 || marking || toMark.length > 0) {
        await Promise.all([...inFlight])
        clearTimeout(markTimer)
        markNow()
        await marking
      }
    },
  }
}

function toRecord(row: OutboxRow): OutboxRecord {
  return { id: row.id, seq: '0', subject: row.subject, type: row.type, event: row.payload, headers: row.headers, attempts: 1, createdAt: new Date() }
}

/** Marks rows sent in one statement; returns each one's seconds from enqueue to sent. */
async function markSent(db: SqlDb, ids: readonly string[]): Promise<number[]> {
  const { rows } = await sql<{ latency: number }>`update outbox set sent_at = now(), claimed_until = null
      where id = any(${[...ids]}::uuid[]) and sent_at is null
      returning extract(epoch from (now() - created_at))::float8 as latency`.execute(db)
  return rows.map((r) => r.latency)
}
