import { AuthorizePayment, CapturePayment, isEventOf, RefundPayment, VoidPayment, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import type { Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import type { PaymentProvider } from '../provider/payment-provider.js'
import { ProviderRejectedError } from '../provider/provider.errors.js'
import { authorizePayment } from '../use-cases/authorize-payment.js'
import { PaymentCommandRefusedError } from '../use-cases/payment-command.errors.js'
import { capturePayment, refundPayment } from '../use-cases/settle-payment.js'
import { voidPayment } from '../use-cases/void-payment.js'
import { KeyedQueue } from './keyed-queue.js'

export interface CommandHandlerDeps {
  orm: Orm
  provider: PaymentProvider
  /** The durable consumer's name: the inbox key's first half. */
  consumer: string
}

type Run = (deps: CommandHandlerDeps, event: CloudEvent) => Promise<string>

/**
 * Runs one payment command. A command that can never apply (its payment is in the wrong state,
 * the provider refused for good) is dead-lettered at once; anything else that fails — the
 * provider unavailable, timed out or behind an open breaker — is retried with the consumer's
 * backoff. Within this process, one consumer handles one order's commands one at a time, so a
 * duplicate waits for the first copy and then finds it processed instead of calling the provider
 * again; across replicas, the provider's idempotency per order keeps it to one charge.
 */
function commandHandler(definition: MessageDefinition, run: Run) {
  return (deps: CommandHandlerDeps): EventHandler => {
    const perOrder = new KeyedQueue()
    return async (event, ctx) => {
      if (event.type !== definition.type) throw new PermanentError(`${deps.consumer} handles ${definition.type}, not ${event.type}`)
      try {
        const outcome = await perOrder.run(event.subject, () => run(deps, event))
        if (outcome === 'duplicate') ctx.logger.debug('command already processed')
        else ctx.logger.info({ outcome }, 'payment command processed')
      } catch (error) {
        if (error instanceof PaymentCommandRefusedError || error instanceof ProviderRejectedError) {
          throw new PermanentError(error.message, { cause: error })
        }
        throw error
      }
    }
  }
}

const key = (deps: CommandHandlerDeps, event: CloudEvent) => ({ consumer: deps.consumer, eventId: event.id })

export const authorizeHandler = commandHandler(AuthorizePayment, (deps, event) =>
  isEventOf(AuthorizePayment, event) ? authorizePayment(deps.orm, deps.provider, event.data, key(deps, event)) : Promise.resolve('ignored'),
)

export const captureHandler = commandHandler(CapturePayment, (deps, event) =>
  isEventOf(CapturePayment, event) ? capturePayment(deps.orm, deps.provider, event.data.orderId, key(deps, event)) : Promise.resolve('ignored'),
)

export const voidHandler = commandHandler(VoidPayment, (deps, event) =>
  isEventOf(VoidPayment, event) ? voidPayment(deps.orm, deps.provider, event.data.orderId, key(deps, event)) : Promise.resolve('ignored'),
)

export const refundHandler = commandHandler(RefundPayment, (deps, event) =>
  isEventOf(RefundPayment, event) ? refundPayment(deps.orm, deps.provider, event.data.orderId, key(deps, event)) : Promise.resolve('ignored'),
)
