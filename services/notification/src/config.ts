import Type from 'typebox'
import { serviceSettings } from '@orderflow/runtime'

/** Every environment variable the notification service reads; the chart and `make up` set these. */
export const NotificationConfigSchema = Type.Object({
  ...serviceSettings(8086),
  /**
   * The SMTP server mails go to, e.g. `smtp://127.0.0.1:2525` or `smtps://user:pass@mail:465`.
   * Unset, mails are only logged (at info) and recorded as sent: what `make up` uses.
   */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  /** The sender of every mail. @default Orderflow <orders@orderflow.local> */
  MAIL_FROM: Type.String({ minLength: 3, default: 'Orderflow <orders@orderflow.local>' }),
  /** Limit for connecting to, greeting and each exchange with the SMTP server. @default 10000 */
  SMTP_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  /** How often the mail sender looks for notifications due to be sent. @default 500 */
  MAIL_SEND_INTERVAL_MS: Type.Integer({ minimum: 10, default: 500 }),
  /** Notifications one round of the sender takes (and sends side by side, one SMTP session each). @default 20 */
  MAIL_SEND_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
  /** Wait after the first refused attempt; it doubles with each further one. @default 5000 */
  MAIL_RETRY_MIN_MS: Type.Integer({ minimum: 10, default: 5_000 }),
  /** Longest wait between two attempts. @default 300000 */
  MAIL_RETRY_MAX_MS: Type.Integer({ minimum: 10, default: 300_000 }),
  /** Attempts before the sender gives a mail up (it stays FAILED; a replay of its event re-arms it). @default 10 */
  MAIL_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** The service publishes nothing, so it has no outbox and runs no relay. @default false */
  OUTBOX_RELAY_ENABLED: Type.Boolean({ default: false }),
})
