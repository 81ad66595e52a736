import { CancelShipment, isEventOf, type CloudEvent, type DataOf } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { cancelShipment } from '../use-cases/cancel-shipment.js'
import { claimShipments } from '../use-cases/shipment-batch.js'
import { cancelConsumer } from './consumers.js'

export type CancelShipmentEvent = CloudEvent<DataOf<typeof CancelShipment>>

export interface CancelShipmentConsumerOptions {
  readonly logger: Logger
  /** @default the system clock */
  readonly now?: () => Date
}

/**
 * `fulfillment.cmd.cancel`, two statements a batch: (1) the inbox and the orders' shipments,
 * locked in order id order; (2) the cancelled shipments (or the CANCELLED records of orders that
 * had none yet) and one answer per command. The inbox keeps a redelivered command from being
 * applied or answered twice; a shipment that has left is never cancelled.
 */
export function cancelShipmentConsumer(options: CancelShipmentConsumerOptions): Consumer<CancelShipmentEvent, BatchTx> {
  const clock = options.now ?? (() => new Date())
  const logger = options.logger.child({ consumer: cancelConsumer.durable })
  return {
    spec: cancelConsumer,
    accepts: (event): event is CancelShipmentEvent => isEventOf(CancelShipment, event),
    async handle(batch, tx) {
      const { shipments, fresh } = await claimShipments(batch, tx)
      const now = clock()
      for (const delivery of fresh) {
        const { event } = delivery
        const log = { event_id: event.id, order_id: event.data.orderId }
        const result = cancelShipment(shipments.current(event.data.orderId), event.data.orderId, now)
        const trace = delivery.traceContext()
        if (result.insert) shipments.insert(result.insert, trace)
        if (result.change) shipments.change(event.data.orderId, result.change)
        shipments.publish(result.event, trace)
        if (result.outcome === 'refused') logger.info(log, 'cancel refused: the shipment has left')
        else logger.debug({ ...log, outcome: result.outcome }, 'cancel handled')
      }
      await shipments.write(tx, now)
    },
  }
}
