import { defineEntity, p } from '@mikro-orm/core'

/**
 * One event a consumer has processed — the `inbox` table. Written by a consumer's batch transaction (`BatchTx.claim`) in the same
 * transaction as the consumer's effects, so a redelivered event is recognised and skipped.
 */
export const InboxMessage = defineEntity({
  name: 'InboxMessage',
  tableName: 'inbox',
  properties: {
    /** The consumer's durable name (`<service>-<purpose>`): one event may matter to several. */
    consumer: p.text().primary(),
    eventId: p.uuid().primary(),
    processedAt: p.datetime().defaultRaw('now()'),
  },
  primaryKeys: ['consumer', 'eventId'],
  // What the cleanup scans.
  indexes: [{ name: 'inbox_processed_at_idx', properties: ['processedAt'] }],
})
