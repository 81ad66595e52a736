import { CreateShipment, isEventOf, type CloudEvent, type DataOf } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { createShipment } from '../use-cases/create-shipment.js'
import type { ShipmentSchedule } from '../use-cases/schedule.js'
import { claimShipments } from '../use-cases/shipment-batch.js'
import { createConsumer } from './consumers.js'

export type CreateShipmentEvent = CloudEvent<DataOf<typeof CreateShipment>>

export interface CreateShipmentConsumerOptions {
  readonly schedule: ShipmentSchedule
  readonly logger: Logger
  /** The clock the schedule starts from. @default the system clock */
  readonly now?: () => Date
}

/**
 * `fulfillment.cmd.create`, two statements a batch: (1) the inbox and the orders' shipments,
 * locked in order id order; (2) the new shipments and their `picking` events. A second create
 * for an order — redelivered under a new id, or a later command — finds its shipment (in the
 * table, or created earlier in the same batch) and changes nothing, as the inbox stops a
 * redelivery of the same command.
 */
export function createShipmentConsumer(options: CreateShipmentConsumerOptions): Consumer<CreateShipmentEvent, BatchTx> {
  const { schedule } = options
  const clock = options.now ?? (() => new Date())
  const logger = options.logger.child({ consumer: createConsumer.durable })
  return {
    spec: createConsumer,
    accepts: (event): event is CreateShipmentEvent => isEventOf(CreateShipment, event),
    async handle(batch, tx) {
      const { shipments, fresh } = await claimShipments(batch, tx)
      const now = clock()
      for (const delivery of fresh) {
        const { event } = delivery
        const log = { event_id: event.id, order_id: event.data.orderId }
        const result = createShipment(shipments.current(event.data.orderId), event.data, schedule, now)
        if (result.outcome === 'created') {
          // The scheduler's later steps continue the trace of the order that created the shipment.
          const trace = delivery.traceContext()
          shipments.insert(result.shipment, trace)
          shipments.publish(result.event, trace)
          logger.debug(log, 'shipment created')
        } else if (result.outcome === 'cancelled') {
          logger.info(log, 'order was cancelled before its shipment was created; not shipping')
        } else {
          logger.debug(log, 'order already has a shipment; unchanged')
        }
      }
      await shipments.write(tx, now)
    },
  }
}
