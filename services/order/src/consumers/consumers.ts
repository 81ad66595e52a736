import { ORDER_SAGA_SUBJECTS, Streams } from '@orderflow/contracts'
import { SHORT_TRANSACTION_DELIVERY, type ConsumerSpec } from '@orderflow/messaging'

// Projections are short transactions on one row: a generous ack wait, quick first retries
// (a lock timeout clears fast), then longer ones before the message is dead-lettered.
const projection = SHORT_TRANSACTION_DELIVERY

/** What the saga says about the order: its steps and its verdict. */
export const sagaConsumer: ConsumerSpec = {
  ...projection,
  stream: Streams.ORDERS.name,
  durable: 'order-saga',
  filterSubjects: [ORDER_SAGA_SUBJECTS],
  description: "Projects the saga's steps and outcome onto the order",
}

/** Shipment progress: picking, shipped, delivered. */
export const shipmentsConsumer: ConsumerSpec = {
  ...projection,
  stream: Streams.FULFILLMENT.name,
  durable: 'order-shipments',
  filterSubjects: ['fulfillment.evt.>'],
  description: "Projects shipment progress onto the order's status and timeline",
}
