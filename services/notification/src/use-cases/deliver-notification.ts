import { LockMode } from '@mikro-orm/core'
import type { Orm } from '@orderflow/db'
import { Notification, type INotification } from '../entities/notification.entity.js'
import type { Mailer } from '../mail/mailer.js'
import { SendFailedError } from '../notification.errors.js'

/** `sent` now; `already-sent` earlier (nothing sent now); `missing` — no notification for the event. */
export type DeliveryOutcome = 'sent' | 'already-sent' | 'missing'

type Attempt = { outcome: DeliveryOutcome } | { outcome: 'failed'; id: string; error: unknown }

const MAX_ERROR_LENGTH = 1000

/**
 * Sends the notification recorded for `eventId` unless it was sent already, and records the
 * outcome. The row stays locked (FOR UPDATE) for the SMTP exchange, bounded by the mailer's
 * timeout: a second delivery of the same event — a redelivery racing a slow send — waits, then
 * finds it SENT and sends nothing. A refused send is recorded FAILED with its error, committed,
 * and then thrown as {@link SendFailedError}, so the consumer retries with its backoff.
 *
 * The one gap no database closes: the server accepts the mail and the process dies before the
 * commit. The notification is still PENDING and is sent again — at least once, never lost — with
 * the same Message-ID, which lets the receiving side recognise the duplicate.
 */
export async function deliverNotification(orm: Orm, mailer: Mailer, eventId: string): Promise<DeliveryOutcome> {
  const attempt = await orm.em.fork().transactional(async (em) => {
    const n = await em.findOne(Notification, { eventId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    return n ? sendAndRecord(mailer, n) : { outcome: 'missing' as const }
  })
  return settled(attempt)
}

/** One notification of {@link deliverNotifications}, with the span its send should run in. */
export interface PendingDelivery {
  readonly eventId: string
  readonly traced: <T>(fn: () => Promise<T>) => Promise<T>
}

/**
 * {@link deliverNotification} for several events in one transaction: their rows are locked in
 * one statement (in event id order, so two batches cannot deadlock), the mails sent side by
 * side, and every outcome — sent or failed — committed together. Then, if any send failed, the
 * first failure is thrown as {@link SendFailedError}; the ones sent are recorded SENT and are
 * not sent again when the consumer retries the events. An event listed twice is sent once.
 */
export async function deliverNotifications(orm: Orm, mailer: Mailer, deliveries: readonly PendingDelivery[]): Promise<DeliveryOutcome[]> {
  if (deliveries.length === 0) return []
  const attempts = await orm.em.fork().transactional(async (em) => {
    // PostgreSQL gives uuids back in lower case.
    const key = (d: PendingDelivery) => d.eventId.toLowerCase()
    const eventIds = [...new Set(deliveries.map(key))]
    const rows = await em.find(Notification, { eventId: { $in: eventIds } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { eventId: 'asc' } })
    const pending = new Map(rows.map((n) => [n.eventId, n]))
    return Promise.all(
      deliveries.map((d): Promise<Attempt> => {
        const n = pending.get(key(d))
        if (!n) return Promise.resolve({ outcome: rows.some((r) => r.eventId === key(d)) ? 'already-sent' : 'missing' })
        pending.delete(key(d))
        return d.traced(() => sendAndRecord(mailer, n))
      }),
    )
  })
  const failed = attempts.find((a) => a.outcome === 'failed')
  if (failed) settled(failed)
  return attempts.map(settled)
}

/** Sends `n` unless it was sent already and sets its status; the caller's transaction commits it. */
async function sendAndRecord(mailer: Mailer, n: INotification): Promise<Attempt> {
  if (n.status === 'SENT') return { outcome: 'already-sent' }
  n.attempts += 1
  try {
    const { messageId } = await mailer.send({ id: n.id, to: n.recipient, subject: n.subject, text: n.body, html: n.html })
    n.status = 'SENT'
    n.sentAt = new Date()
    n.messageId = messageId.slice(0, 300)
    n.lastError = null
    return { outcome: 'sent' }
  } catch (error) {
    n.status = 'FAILED'
    n.lastError = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH)
    return { outcome: 'failed', id: n.id, error }
  }
}

/** The outcome of a committed attempt; a failed send is thrown. */
function settled(attempt: Attempt): DeliveryOutcome {
  if (attempt.outcome === 'failed') throw new SendFailedError(attempt.id, { cause: attempt.error })
  return attempt.outcome
}
