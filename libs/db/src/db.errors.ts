/** Base of every error this package throws, so a caller can tell database plumbing failures apart. */
export class DbError extends Error {
  override readonly name: string = 'DbError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** A connection URL this package cannot use, e.g. one that names no database. */
export class DatabaseUrlError extends DbError {
  override readonly name: string = 'DatabaseUrlError'
}

/** A migration command cannot run as asked (nothing configured, pending migrations in the way, …). */
export class MigrationError extends DbError {
  override readonly name: string = 'MigrationError'
}

/** The outbox relay could not start (its database is unreachable, the table is missing, …). */
export class OutboxRelayError extends DbError {
  override readonly name: string = 'OutboxRelayError'
}
