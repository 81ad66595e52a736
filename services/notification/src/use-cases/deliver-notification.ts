import { LockMode } from '@mikro-orm/core'
import type { Orm } from '@orderflow/db'
import { Notification } from '../entities/notification.entity.js'
import type { Mailer } from '../mail/mailer.js'
import { SendFailedError } from '../notification.errors.js'

/** `sent` now; `already-sent` earlier (nothing sent now); `missing` — no notification for the event. */
export type DeliveryOutcome = 'sent' | 'already-sent' | 'missing'

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
  const result = await orm.em.fork().transactional(async (em) => {
    const n = await em.findOne(Notification, { eventId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
    if (!n) return { outcome: 'missing' as const }
    if (n.status === 'SENT') return { outcome: 'already-sent' as const }
    n.attempts += 1
    try {
      const { messageId } = await mailer.send({ id: n.id, to: n.recipient, subject: n.subject, text: n.body, html: n.html })
      n.status = 'SENT'
      n.sentAt = new Date()
      n.messageId = messageId.slice(0, 300)
      n.lastError = null
      return { outcome: 'sent' as const }
    } catch (error) {
      n.status = 'FAILED'
      n.lastError = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH)
      return { outcome: 'failed' as const, id: n.id, error }
    }
  })
  if (result.outcome === 'failed') throw new SendFailedError(result.id, { cause: result.error })
  return result.outcome
}
