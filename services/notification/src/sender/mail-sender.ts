import { sendDueMails, type MailSenderDeps, type SendRoundOptions } from '../use-cases/send-due-mails.js'

export interface MailSenderOptions extends SendRoundOptions {
  /** Pause between rounds when there was nothing more to send. */
  readonly intervalMs: number
}

export interface MailSender {
  /** Stops polling and waits for the round in progress (its sends and its commit). */
  stop(): Promise<void>
}

/**
 * Sends what the consumers recorded: every `intervalMs` it runs rounds until one comes back
 * short (a backlog drains at once). What is due lives in the `notifications` table, not in
 * memory, so any number of replicas may run this and a restart picks up where the last stopped.
 */
export function startMailSender(deps: MailSenderDeps, options: MailSenderOptions): MailSender {
  const logger = deps.logger.child({ component: 'mail-sender' })
  const round = { ...deps, logger }
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()

  const rounds = async (): Promise<void> => {
    let claimed = options.batchSize
    while (!stopped && claimed === options.batchSize) {
      const result = await sendDueMails(round, options)
      claimed = result.claimed
      if (claimed > 0) logger.debug(result, 'mails sent')
    }
  }
  const next = () => {
    timer = setTimeout(() => {
      running = rounds().catch((error: unknown) => logger.warn({ err: error }, 'mail sender round failed; retrying next round'))
      void running.then(() => {
        if (!stopped) next()
      })
    }, options.intervalMs)
  }
  next()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
