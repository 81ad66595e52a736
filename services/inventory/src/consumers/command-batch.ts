import type { CloudEvent } from '@orderflow/contracts'
import { outboxRows, type BatchTx, type OutboxRow } from '@orderflow/db'
import type { Consumer, ConsumerSpec, Delivery } from '@orderflow/messaging'
import type { Logger } from 'pino'
import type { OrderBook } from '../domain/order-book.js'
import { lockOrders, orderBookOf } from '../repositories/order-locks.sql.js'
import { writeOrders } from '../repositories/order-writes.sql.js'

/** A command about one order. */
export type OrderCommand = CloudEvent<{ readonly orderId: string }>

export interface Applied {
  /** What to send about the command, in the outbox with the batch's writes. */
  readonly events: readonly CloudEvent[]
  /** Logs and counts the outcome; called once the batch's writes are done. */
  readonly report: () => void
}

export interface CommandConsumerOptions<E extends OrderCommand> {
  readonly spec: ConsumerSpec
  readonly accepts: (event: CloudEvent) => event is E
  readonly logger: Logger
  /** The SKUs a command names besides those its order already holds. @default none */
  readonly skusOf?: (event: E) => readonly string[]
  /** Applies one fresh command to the book; throws (a PermanentError) for one it must refuse. */
  readonly apply: (book: OrderBook, event: E) => Applied
}

/**
 * An inventory command consumer: two statements per batch, whatever its size.
 * 1. `claim`: the batch's event ids into the inbox, and its orders' holds, their lines and the
 *    stock rows of every SKU involved loaded and locked, in the service's one lock order
 *    (`lockOrders`).
 * 2. `writeOrders`: every change and the outbox rows.
 * Between them the fresh commands are applied in delivery order to the locked state in memory
 * (`OrderBook`): two commands for one order in one batch see each other, as they would one by
 * one. A delivery whose event id the inbox already holds, or that repeats an id earlier in the
 * batch, is skipped. Throwing rolls the batch back; the runner then handles its events one by
 * one, so a PermanentError dead-letters only its own command.
 */
export function commandConsumer<E extends OrderCommand>(options: CommandConsumerOptions<E>): Consumer<E, BatchTx> {
  const { spec, accepts, logger, skusOf, apply } = options
  return {
    spec,
    accepts,
    async handle(batch, tx) {
      const deliveries = firstOfEachId(batch)
      const orderIds = sortedUnique(deliveries.map((d) => d.event.data.orderId.toLowerCase()))
      const skus = skusOf ? sortedUnique(deliveries.flatMap((d) => skusOf(d.event))) : []
      const claimed = await tx.claim(lockOrders(orderIds, skus))
      const book = orderBookOf(claimed.rows[0])

      const outbox: OutboxRow[] = []
      const reports: (() => void)[] = []
      for (const d of deliveries) {
        if (!claimed.isNew(d.event.id)) {
          logger.debug({ event_id: d.event.id, order_id: d.event.data.orderId }, 'command already processed')
          continue
        }
        const applied = apply(book, d.event)
        // Each command's events carry the trace of the delivery that caused them.
        if (applied.events.length > 0) outbox.push(...outboxRows(applied.events, { traceContext: d.traceContext() }))
        reports.push(applied.report)
      }
      if (reports.length === 0) return
      await writeOrders(tx, book.changes(), outbox)
      // Only now: a batch that throws (and is handled again one by one) has counted nothing.
      for (const report of reports) report()
    },
  }
}

function firstOfEachId<E extends CloudEvent>(batch: readonly Delivery<E>[]): Delivery<E>[] {
  const seen = new Set<string>()
  return batch.filter((d) => {
    const id = d.event.id.toLowerCase()
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort()
}
