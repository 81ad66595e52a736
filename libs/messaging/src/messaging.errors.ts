/**
 * Thrown by a handler for a message that can never succeed however often it is retried (a
 * business rule refuses it, a referenced order does not exist): the runner terminates the
 * message and dead-letters it at once instead of spending its remaining deliveries.
 */
export class PermanentError extends Error {
  override readonly name = 'PermanentError'
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
  }
}

/** The first connection to NATS failed, or JetStream is off there: a process should stop rather than run without its bus. */
export class BusConnectError extends Error {
  override readonly name = 'BusConnectError'
  constructor(readonly servers: readonly string[], options?: ErrorOptions) {
    super(`cannot connect to NATS at ${servers.join(', ')}`, options)
  }
}

/** JetStream did not store a message (no stream for the subject, timeout, connection lost). */
export class PublishError extends Error {
  override readonly name = 'PublishError'
  constructor(
    readonly subject: string,
    readonly msgId: string,
    options?: ErrorOptions,
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(`publish to ${subject} (msg id ${msgId}) failed${reason}`, options)
  }
}

/** A stream or consumer declaration is malformed; it is a programming error, found before any server call. */
export class SpecError extends Error {
  override readonly name = 'SpecError'
  constructor(
    readonly resource: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid declaration of ${resource}: ${problems.join('; ')}`)
  }
}

/**
 * A stream or consumer could not be created or brought in line with its declaration, e.g. a
 * change JetStream cannot apply in place (storage type, ack policy): an operator must act.
 */
export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError'
  constructor(
    readonly resource: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${resource}: ${message}`, options)
  }
}

/** No dead letter has the given sequence (never existed, replayed or purged). */
export class DeadLetterNotFoundError extends Error {
  override readonly name = 'DeadLetterNotFoundError'
  constructor(
    readonly stream: string,
    readonly seq: number,
  ) {
    super(`no dead letter ${seq} in ${stream}`)
  }
}
