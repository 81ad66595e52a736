import { CancelShipment, CreateShipment, Streams } from '@orderflow/contracts'
import { SHORT_TRANSACTION_DELIVERY, type ConsumerSpec } from '@orderflow/messaging'

// Commands are short transactions on one row: quick first retries (a lock or a lost race on the
// order id clears fast), then longer ones before the command is dead-lettered.
const command = SHORT_TRANSACTION_DELIVERY

/** The saga asks to ship a confirmed order. */
export const createConsumer: ConsumerSpec = {
  ...command,
  stream: Streams.FULFILLMENT.name,
  durable: 'fulfillment-create',
  filterSubjects: [CreateShipment.subject],
  description: 'Creates the shipment of a confirmed order',
}

/** The saga asks to stop a shipment (the customer cancelled). */
export const cancelConsumer: ConsumerSpec = {
  ...command,
  stream: Streams.FULFILLMENT.name,
  durable: 'fulfillment-cancel',
  filterSubjects: [CancelShipment.subject],
  description: 'Cancels a shipment that has not left, or refuses',
}
