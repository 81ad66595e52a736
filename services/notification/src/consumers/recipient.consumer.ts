import { isEventOf, OrderCreated, type CloudEvent, type DataOf } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { rememberRecipients } from '../use-cases/notifications.sql.js'
import { ordersConsumer } from './consumers.js'

export type OrderCreatedEvent = CloudEvent<DataOf<typeof OrderCreated>>

export interface RecipientConsumerOptions {
  readonly logger: Logger
  /** @default the system clock */
  readonly now?: () => Date
}

/**
 * `order.created`, two statements a batch: (1) the inbox; (2) the recipients not known yet.
 * The first `order.created` of an order wins; a repeat (redelivered, or under a new id) changes
 * nothing. Nothing is locked: a recipient is written once and never changed, and two batches
 * adding one meet on its primary key and keep the first.
 */
export function recipientConsumer(options: RecipientConsumerOptions): Consumer<OrderCreatedEvent, BatchTx> {
  const clock = options.now ?? (() => new Date())
  const logger = options.logger.child({ consumer: ordersConsumer.durable })
  return {
    spec: ordersConsumer,
    accepts: (event): event is OrderCreatedEvent => isEventOf(OrderCreated, event),
    async handle(batch, tx) {
      const deliveries = batch
      const claimed = await tx.claim()
      const orders = new Map<string, DataOf<typeof OrderCreated>>()
      for (const { event } of deliveries) {
        if (!claimed.isNew(event.id)) logger.debug({ event_id: event.id, order_id: event.data.orderId }, 'event already handled')
        else if (!orders.has(event.data.orderId.toLowerCase())) orders.set(event.data.orderId.toLowerCase(), event.data)
      }
      if (orders.size === 0) return
      // In order id order: two batches adding the same recipients wait for each other in one order, rather than deadlock.
      const sorted = [...orders].sort(([a], [b]) => a.localeCompare(b)).map(([, order]) => order)
      const added = await rememberRecipients(tx, sorted, clock())
      for (const [orderId, order] of orders) {
        if (!added.has(orderId)) logger.debug({ order_id: order.orderId }, 'recipient already known; unchanged')
      }
    },
  }
}
