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
  /** The service publishes nothing, so it has no outbox and runs no relay. @default false */
  OUTBOX_RELAY_ENABLED: Type.Boolean({ default: false }),
})
