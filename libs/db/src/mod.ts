/**
 * @orderflow/db — a service's PostgreSQL database: the MikroORM setup, migrations run by a command
 * (never at boot), the transactional outbox with its relay, and the inbox that makes consumers'
 * effects exactly-once. Independent of the messaging library: the relay is handed a `publish`.
 */
export { createOrm } from './orm.js'
export type { CreateOrmOptions, Orm } from './orm.js'
export { ensureDatabase } from './database.js'
export type { EnsureDatabaseOptions } from './database.js'
export { createMigration, pendingMigrations, revertLastMigration, runMigrations } from './migrations.js'
export type { CreateMigrationOptions } from './migrations.js'
export { migrationCommand } from './migration-command.js'
export type { MigrationCommandOptions } from './migration-command.js'
export { OUTBOX_CHANNEL, OutboxMessage } from './outbox.entity.js'
export { captureTraceContext, enqueueEvents, outboxRows } from './outbox.js'
export type { EnqueueOptions, OutboxRecord, OutboxRow } from './outbox.js'
export { startOutboxRelay } from './outbox-relay.js'
export type { OutboxRelay, OutboxRelayOptions, PublishBatch, PublishOutcome } from './outbox-relay.js'
export { InboxMessage } from './inbox.entity.js'
export { processBatchOnce, processOnce, purgeInbox, startInboxCleanup } from './inbox.js'
export type { InboxCleanup, InboxCleanupOptions, InboxKey, ProcessOnceResult } from './inbox.js'
export { DatabaseUrlError, DbError, MigrationError, OutboxRelayError } from './db.errors.js'
/** The base class of migration files; generated migrations import it from here. */
export { Migration } from '@mikro-orm/migrations'
