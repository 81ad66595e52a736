import { once } from 'node:events'
import { SMTPServer } from 'smtp-server'

interface TestLike {
  teardown(fn: () => unknown): void
}

/** One mail the catcher accepted, parsed just enough for assertions. */
export interface CaughtMail {
  to: string[]
  from: string
  headers: Map<string, string>
  /** The raw body with quoted-printable soft line breaks undone (both alternatives). */
  body: string
  raw: string
  /** When the catcher took it (the end of DATA). */
  receivedAt: Date
}

export interface SmtpCatcher {
  url: string
  /** Mails accepted so far, in order. */
  readonly mails: CaughtMail[]
  /** Mails refused so far, in order. */
  readonly refused: CaughtMail[]
  /** Every DATA attempt, refused ones included. */
  attempts(): number
  /** Refuse the next `n` mails with a transient 451. */
  refuseNext(n: number): void
}

function parse(raw: string, from: string, to: string[]): CaughtMail {
  const split = raw.indexOf('\r\n\r\n')
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
  const headers = new Map<string, string>()
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
  }
  return { to, from, headers, body: raw.slice(split + 4).replace(/=\r\n/g, ''), raw, receivedAt: new Date() }
}

/** A local SMTP server on a free port (no TLS, no auth), stopped at teardown. */
export async function startSmtpCatcher(t: TestLike): Promise<SmtpCatcher> {
  const mails: CaughtMail[] = []
  const refused: CaughtMail[] = []
  let attempts = 0
  let refusals = 0
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        attempts += 1
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        const mail = parse(Buffer.concat(chunks).toString('utf8'), from, session.envelope.rcptTo.map((r) => r.address))
        if (refusals > 0) {
          refusals -= 1
          refused.push(mail)
          return callback(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }))
        }
        mails.push(mail)
        callback()
      })
    },
  })
  // A client that goes away mid-session (a sender killed or cut off) is reported here as the
  // server's 'error'; unhandled, it would end the process that runs the catcher. The mail it was
  // sending is simply not caught, as a real server would not have it either.
  server.on('error', () => {})
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.server.address()
  if (!address || typeof address === 'string') throw new Error('the SMTP catcher is not listening on TCP')
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    mails,
    refused,
    attempts: () => attempts,
    refuseNext: (n) => void (refusals = n),
  }
}
