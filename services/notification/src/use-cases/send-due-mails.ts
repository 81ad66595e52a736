import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { sql } from 'kysely'
import { jsonRows, type SqlDb, type SqlTx } from '@orderflow/db'
import type { Logger } from 'pino'
import { nextAttemptAt, type RetryPolicy } from '../domain/mail-retry.js'
import type { Mailer } from '../mail/mailer.js'

export interface MailSenderDeps {
  readonly db: SqlDb
  readonly mailer: Mailer
  readonly logger: Logger
  /** The sender's memory of mails the server took whose round did not commit; none: not remembered. */
  readonly unrecorded?: UnrecordedSends
}

/**
 * Mails the SMTP server accepted whose outcomes the round could not commit (PostgreSQL went away
 * between the sends and the commit). Kept in the process and recorded before the next round
 * claims anything, so the database coming back does not send them a second time.
 */
export class UnrecordedSends {
  #outcomes: MailOutcome[] = []

  get size(): number {
    return this.#outcomes.length
  }

  keep(outcomes: readonly MailOutcome[]): void {
    this.#outcomes.push(...outcomes.filter((o) => o.status !== 'FAILED'))
  }

  /** Records what is kept, in one statement of its own; throws (keeping them) while the database is away. */
  async record(db: SqlDb, now: Date): Promise<number> {
    const outcomes = this.#outcomes
    if (outcomes.length === 0) return 0
    await recordOutcomes(db, outcomes, now)
    this.#outcomes = this.#outcomes.filter((o) => !outcomes.includes(o))
    return outcomes.length
  }
}

export interface SendRoundOptions {
  readonly policy: RetryPolicy
  /** Notifications the round takes at most. */
  readonly batchSize: number
}

/** What one round did. */
export interface SendRound {
  /** Notifications the round took (it advanced as many as the batch size when this equals it). */
  readonly claimed: number
  /** Sent, or only logged when there is no SMTP_URL (stored LOGGED). */
  readonly sent: number
  /** Refused, and scheduled again. */
  readonly failed: number
  /** Refused for the last allowed time, and given up. */
  readonly gaveUp: number
}

interface DueMail {
  id: string
  orderId: string
  recipient: string
  subject: string
  body: string
  html: string
  attempts: number
  traceContext: Record<string, string> | null
}

export interface MailOutcome {
  id: string
  status: 'SENT' | 'LOGGED' | 'FAILED'
  message_id: string | null
  last_error: string | null
  sent_at: string | null
  next_attempt_at: string | null
}

const MAX_ERROR_LENGTH = 1000
const MAX_MESSAGE_ID_LENGTH = 300
const tracer = trace.getTracer('@orderflow/notification')

/**
 * One round of the mail sender, in one transaction: claims the notifications due by `now`
 * (`FOR UPDATE SKIP LOCKED`, oldest due first), sends them side by side, and records every
 * outcome in one statement — SENT with its Message-ID (LOGGED when the mailer only logged it,
 * with no SMTP_URL), or FAILED with the error and the time of
 * the next attempt (none after the last allowed one).
 *
 * The rows stay locked through the SMTP exchanges (bounded by the mailer's timeouts): no other
 * replica's round and no replay of the event can touch one until its outcome is committed, so a
 * mail is sent by one process at a time and never again once SENT. The one gap no database
 * closes: the server accepts the mail and the process dies before the commit. The notification
 * is then still due and sent again — at least once, never lost — under the same Message-ID (the
 * notification's id), which lets the receiving side recognise the copy. A commit that fails while
 * the process lives (PostgreSQL stopping mid-round) loses nothing and sends nothing twice: the
 * accepted mails are kept in {@link UnrecordedSends} and recorded before the next claim.
 */
export async function sendDueMails(deps: MailSenderDeps, options: SendRoundOptions, now = new Date()): Promise<SendRound> {
  const recorded = (await deps.unrecorded?.record(deps.db, now)) ?? 0
  if (recorded > 0) deps.logger.info({ recorded }, 'mails sent before the database went away recorded as sent, not sent again')
  let outcomes: MailOutcome[] = []
  try {
    return await deps.db.transaction().execute(async (tx) => {
      const { rows } = await claimDue(options.batchSize, now).execute(tx)
      if (rows.length === 0) return { claimed: 0, sent: 0, failed: 0, gaveUp: 0 }
      outcomes = await Promise.all(rows.map((mail) => attempt(deps, options.policy, mail, now)))
      await recordOutcomes(tx, outcomes, now)
      const sent = outcomes.filter((o) => o.status !== 'FAILED').length
      const gaveUp = outcomes.filter((o) => o.status === 'FAILED' && o.next_attempt_at === null).length
      return { claimed: rows.length, sent, failed: rows.length - sent - gaveUp, gaveUp }
    })
  } catch (error) {
    // The server took these mails; only their record was lost with the transaction.
    deps.unrecorded?.keep(outcomes)
    throw error
  }
}

function claimDue(batchSize: number, now: Date) {
  return sql<DueMail>`select id, order_id as "orderId", recipient, subject, body, html, attempts, trace_context as "traceContext"
      from notifications
     where next_attempt_at <= ${now.toISOString()}::timestamptz and status not in ('SENT', 'LOGGED')
     order by next_attempt_at
     limit ${batchSize}
       for update skip locked`
}

/**
 * One attempt, in a CLIENT span that continues the trace of the event that called for the mail
 * (stored with it): the order's trace ends with its mails, and the attempt's log lines carry it.
 */
function attempt(deps: MailSenderDeps, policy: RetryPolicy, mail: DueMail, now: Date): Promise<MailOutcome> {
  const parent = propagation.extract(ROOT_CONTEXT, mail.traceContext ?? {})
  const attributes = { 'orderflow.notification.id': mail.id, 'orderflow.order.id': mail.orderId, 'orderflow.notification.attempt': mail.attempts + 1 }
  return tracer.startActiveSpan('send mail', { kind: SpanKind.CLIENT, attributes }, parent, async (span) => {
    const outcome = await send(deps, policy, mail, now)
    span.setAttribute('orderflow.notification.status', outcome.status)
    if (outcome.status === 'FAILED') span.setStatus({ code: SpanStatusCode.ERROR, ...(outcome.last_error ? { message: outcome.last_error } : {}) })
    span.end()
    return outcome
  })
}

/** Sends one mail; never throws: a refusal is a FAILED outcome, scheduled again or given up. */
async function send(deps: MailSenderDeps, policy: RetryPolicy, mail: DueMail, now: Date): Promise<MailOutcome> {
  const log = { notification_id: mail.id, order_id: mail.orderId, attempt: mail.attempts + 1 }
  try {
    const { messageId, logged } = await deps.mailer.send({ id: mail.id, to: mail.recipient, subject: mail.subject, text: mail.body, html: mail.html })
    deps.logger.debug(log, logged ? 'mail logged (no SMTP_URL)' : 'mail sent')
    // Only logged (no SMTP_URL): final like SENT, but the API must not claim anyone received it.
    return { id: mail.id, status: logged ? 'LOGGED' : 'SENT', message_id: messageId.slice(0, MAX_MESSAGE_ID_LENGTH), last_error: null, sent_at: now.toISOString(), next_attempt_at: null }
  } catch (error) {
    const retryAt = nextAttemptAt(policy, mail.attempts + 1, now)
    if (retryAt) deps.logger.warn({ ...log, err: error, retryAt }, 'mail refused; retrying later')
    else deps.logger.error({ ...log, err: error }, 'mail refused for the last time; given up (a replay of its event tries again)')
    const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH)
    return { id: mail.id, status: 'FAILED', message_id: null, last_error: message, sent_at: null, next_attempt_at: retryAt?.toISOString() ?? null }
  }
}

async function recordOutcomes(tx: SqlTx | SqlDb, outcomes: readonly MailOutcome[], now: Date): Promise<void> {
  await sql`update notifications n
       set status = r.status, attempts = n.attempts + 1, message_id = coalesce(r.message_id, n.message_id), last_error = r.last_error,
           sent_at = r.sent_at, next_attempt_at = r.next_attempt_at, updated_at = ${now.toISOString()}::timestamptz
      from ${jsonRows(outcomes, 'id uuid, status text, message_id text, last_error text, sent_at timestamptz, next_attempt_at timestamptz')} as r
     where n.id = r.id`.execute(tx)
}
