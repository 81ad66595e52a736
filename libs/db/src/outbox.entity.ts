import { defineEntity, p } from '@mikro-orm/core'
import type { CloudEvent } from '@orderflow/contracts'

/**
 * One event waiting to be published (or recently published) — the `outbox` table. A service adds
 * this entity to its list, so its generated migration creates the table and its indexes; rows
 * are written in the transaction of the change they report (`BatchTx.outbox`, `enqueueEvents`),
 * published right after its commit (`createOutboxPublisher`) and swept by the relay when that
 * did not happen.
 */
export const OutboxMessage = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox',
  properties: {
    /** The event id: the primary key makes enqueueing one event twice fail, and it is the `Nats-Msg-Id`. */
    id: p.uuid().primary(),
    /** Insertion order (bigserial), so the relay publishes in the order events were written. */
    seq: p.bigint('string').autoincrement(),
    /** NATS subject to publish on. */
    subject: p.text(),
    /** CloudEvents type, kept apart from the payload for queries and metrics. */
    type: p.text(),
    /** The whole CloudEvent, published as it is. */
    payload: p.json<CloudEvent>(),
    /** Trace context (`traceparent`, `tracestate`) captured when the event was enqueued. */
    headers: p.json<Record<string, string>>(),
    createdAt: p.datetime().defaultRaw('now()'),
    sentAt: p.datetime().nullable(),
    /** Publish attempts so far, counted when a relay claims the row. */
    attempts: p.integer().default(0),
    /** A relay holds the row until then; after it, another relay may take it over. */
    claimedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
  },
  indexes: [
    // What the relay scans: unsent rows by seq. Partial, so it stays as small as the backlog.
    { name: 'outbox_pending_idx', properties: ['seq'], where: 'sent_at is null' },
    // What the purge scans: sent rows by age.
    { name: 'outbox_sent_at_idx', properties: ['sentAt'], where: 'sent_at is not null' },
  ],
})
