import { ORDER_SAGA_SUBJECTS, OrderCreated, Streams } from '@orderflow/contracts'
import { SHORT_TRANSACTION_DELIVERY, type ConsumerSpec } from '@orderflow/messaging'

/** Remembers each order's recipient: one short insert, quick retries. */
export const ordersConsumer: ConsumerSpec = {
  stream: Streams.ORDERS.name,
  durable: 'notification-orders',
  filterSubjects: [OrderCreated.subject],
  ...SHORT_TRANSACTION_DELIVERY,
  description: "Remembers each order's recipient for the mails that follow",
}

// The mail consumers only record (the mail sender does the SMTP), so they are short
// transactions too; but an event that overtook its order's order.created (which travels on
// another consumer) waits for it: retries back off to minutes, for about half an hour, before
// the event is dead-lettered.
const mail = {
  ...SHORT_TRANSACTION_DELIVERY,
  maxDeliver: 10,
  backoffMs: [1_000, 5_000, 30_000, 60_000, 300_000],
} as const

/** The saga's verdicts: confirmed, failed, cancelled (any other saga event is acknowledged without effect). */
export const sagaConsumer: ConsumerSpec = {
  ...mail,
  stream: Streams.ORDERS.name,
  durable: 'notification-saga',
  filterSubjects: [ORDER_SAGA_SUBJECTS],
  description: "Records the mail of the saga's verdict on the order",
}

/** Shipment progress: shipped, delivered (picking, cancelled, cancel refused are acknowledged without effect). */
export const shipmentsConsumer: ConsumerSpec = {
  ...mail,
  stream: Streams.FULFILLMENT.name,
  durable: 'notification-shipments',
  filterSubjects: ['fulfillment.evt.>'],
  description: 'Records the mails of the order shipped and delivered',
}
