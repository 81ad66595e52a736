import { startPeriodic } from '@orderflow/runtime'
import { sendDueMails, UnrecordedSends, type MailSenderDeps, type SendRoundOptions } from '../use-cases/send-due-mails.js'

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
  const round = { ...deps, logger: deps.logger.child({ component: 'mail-sender' }), unrecorded: new UnrecordedSends() }
  return startPeriodic({
    name: 'mail-sender',
    intervalMs: options.intervalMs,
    logger: deps.logger,
    run: async () => {
      const result = await sendDueMails(round, options)
      if (result.claimed > 0) round.logger.debug(result, 'mails sent')
      return result.claimed === options.batchSize
    },
  })
}
