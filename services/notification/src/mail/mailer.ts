import nodemailer from 'nodemailer'
import type { Logger } from 'pino'

/** One mail as the notification service sends it. */
export interface OutgoingMail {
  /** The notification's id; the Message-ID is derived from it, so a re-send carries the same one. */
  id: string
  to: string
  subject: string
  text: string
  html: string
}

export interface Mailer {
  /** Resolves once the server accepted the mail; rejects with the server's or the network's error. */
  send(mail: OutgoingMail): Promise<SendResult>
}

export interface SendResult {
  messageId: string
  /** True when the mail was only logged (no `SMTP_URL`): nobody received it. @default false */
  logged?: boolean
}

export interface MailerOptions {
  /** `smtp://…` or `smtps://…`; without it mails are logged, not sent. */
  smtpUrl?: string | undefined
  from: string
  timeoutMs: number
  logger: Logger
}

/** The domain of the sender's address, for Message-IDs: `Orderflow <orders@x.y>` → `x.y`. */
export function senderDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'orderflow.local'
}

/**
 * Sends over SMTP when `smtpUrl` is set, else through nodemailer's JSON transport (it builds the
 * message and goes nowhere) and logs the mail at info — what `make up` uses, with no mail server.
 * No connection pool: each mail is one short SMTP session bounded by `timeoutMs`, so a hung
 * server costs one handler its time budget, never a stuck shared connection, and an idle mailer
 * holds nothing that needs closing.
 */
export function createMailer(options: MailerOptions): Mailer {
  const domain = senderDomain(options.from)
  const logger = options.logger.child({ component: 'mailer' })
  const envelope = (mail: OutgoingMail) => ({
    from: options.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mail.id}@${domain}>`,
  })

  if (!options.smtpUrl) {
    const transport = nodemailer.createTransport({ jsonTransport: true })
    logger.info('SMTP_URL is not set: mails are logged, not sent')
    return {
      async send(mail) {
        const info = await transport.sendMail(envelope(mail))
        logger.info({ to: mail.to, subject: mail.subject, messageId: info.messageId, text: mail.text }, 'mail (log only)')
        return { messageId: info.messageId, logged: true }
      },
    }
  }

  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  })
  return {
    async send(mail) {
      const info = await transport.sendMail(envelope(mail))
      logger.debug({ to: mail.to, messageId: info.messageId, response: info.response }, 'mail accepted')
      return { messageId: info.messageId }
    },
  }
}

/** The mailer the service's settings describe. */
export function mailerFromConfig(config: { SMTP_URL?: string | undefined; MAIL_FROM: string; SMTP_TIMEOUT_MS: number }, logger: Logger): Mailer {
  return createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, timeoutMs: config.SMTP_TIMEOUT_MS, logger })
}
