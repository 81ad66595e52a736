import type { RawBuilder } from 'kysely'
import { AuthorizePayment, CapturePayment, isEventOf, RefundPayment, VoidPayment, type CloudEvent } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import { PermanentError, type Consumer, type ConsumerSpec, type Delivery } from '@orderflow/messaging'
import { ProviderRejectedError } from '../provider/provider.errors.js'
import { lockOrCreatePayments, lockPayments, writePaymentChanges, type PaymentRow } from '../repositories/payments.sql.js'
import { authorizePayments, paymentsToAuthorize, type AuthorizeCommand } from '../use-cases/authorize-payment.js'
import type { CommandDeps } from '../use-cases/command-deps.js'
import { PaymentBatch } from '../use-cases/payment-batch.js'
import { PaymentCommandRefusedError } from '../use-cases/payment-command.errors.js'
import { capturePayments, refundPayments, type CaptureCommand, type RefundCommand } from '../use-cases/settle-payment.js'
import { paymentsToVoid, voidPayments, type VoidCommand } from '../use-cases/void-payment.js'
import { authorizeSpec, captureSpec, refundSpec, voidSpec } from './consumer-specs.js'

interface CommandConsumer<E extends CloudEvent> {
  readonly spec: ConsumerSpec
  readonly accepts: (event: CloudEvent) => event is E
  /** Statement one's load: the payments the commands concern, locked in order-id order. */
  readonly load: (commands: readonly E[]) => RawBuilder<PaymentRow>
  /** Applies the new commands, in delivery order, to the batch's payments (asking the provider). */
  readonly run: (batch: PaymentBatch, commands: readonly Delivery<E>[], deps: CommandDeps) => Promise<void>
}

/**
 * A payment command consumer. Per batch: statement one records the events in the inbox and
 * locks (creating where the command does) the payments of the batch's orders; the provider is
 * asked, side by side, while those locks are held — one order's commands, in this process or
 * any other, wait for each other on them; statement two writes the new statuses, the provider
 * calls' records and the events. A command that can never apply (its payment is in the wrong
 * state, the provider refused for good) is dead-lettered at once; anything else that fails —
 * the provider unavailable, timed out or behind an open breaker — is retried with the
 * consumer's backoff, and the provider, asked again under the same keys, moves no money twice.
 * (An authorization that times out is not a failure: it is declined, see authorizePayments.)
 */
function commandConsumer<E extends CloudEvent>(c: CommandConsumer<E>, deps: CommandDeps): Consumer<E, BatchTx> {
  return {
    spec: c.spec,
    accepts: c.accepts,
    async handle(deliveries, tx) {
      const claimed = await tx.claim(c.load(deliveries.map((d) => d.event)))
      const fresh = newCommands(deliveries, (id) => claimed.isNew(id))
      if (fresh.length === 0) {
        deps.logger.debug({ events: deliveries.length }, 'commands already processed')
        return
      }
      const batch = new PaymentBatch(claimed.rows)
      try {
        await c.run(batch, fresh, deps)
      } catch (error) {
        if (error instanceof PaymentCommandRefusedError || error instanceof ProviderRejectedError) throw new PermanentError(error.message, { cause: error })
        throw error
      }
      await writePaymentChanges(tx, batch.changes())
    },
  }
}

/** The batch's deliveries not handled before, each event once (a batch may hold two copies of one). */
function newCommands<E extends CloudEvent>(deliveries: readonly Delivery<E>[], isNew: (eventId: string) => boolean): Delivery<E>[] {
  const seen = new Set<string>()
  return deliveries.filter((d) => {
    const id = d.event.id.toLowerCase()
    if (seen.has(id) || !isNew(id)) return false
    seen.add(id)
    return true
  })
}

const orderIds = (commands: readonly CloudEvent<{ orderId: string }>[]) => [...new Set(commands.map((c) => c.data.orderId.toLowerCase()))].sort()

export const authorizeConsumer = (deps: CommandDeps): Consumer<AuthorizeCommand, BatchTx> =>
  commandConsumer(
    {
      spec: authorizeSpec,
      accepts: (event): event is AuthorizeCommand => isEventOf(AuthorizePayment, event),
      load: (commands) => lockOrCreatePayments(paymentsToAuthorize(commands)),
      run: authorizePayments,
    },
    deps,
  )

export const voidConsumer = (deps: CommandDeps): Consumer<VoidCommand, BatchTx> =>
  commandConsumer(
    {
      spec: voidSpec,
      accepts: (event): event is VoidCommand => isEventOf(VoidPayment, event),
      load: (commands) => lockOrCreatePayments(paymentsToVoid(commands)),
      run: voidPayments,
    },
    deps,
  )

export const captureConsumer = (deps: CommandDeps): Consumer<CaptureCommand, BatchTx> =>
  commandConsumer(
    {
      spec: captureSpec,
      accepts: (event): event is CaptureCommand => isEventOf(CapturePayment, event),
      load: (commands) => lockPayments(orderIds(commands)),
      run: capturePayments,
    },
    deps,
  )

export const refundConsumer = (deps: CommandDeps): Consumer<RefundCommand, BatchTx> =>
  commandConsumer(
    {
      spec: refundSpec,
      accepts: (event): event is RefundCommand => isEventOf(RefundPayment, event),
      load: (commands) => lockPayments(orderIds(commands)),
      run: refundPayments,
    },
    deps,
  )
