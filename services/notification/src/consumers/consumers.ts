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

// Mail handlers wait on an SMTP server: the ack wait covers a full session at SMTP_TIMEOUT_MS
// (connect, greeting, exchange); retries back off to minutes, so a mail server down for a
// while (or an order.created still on its way) costs retries, not mails.
const mail = {
  ackWaitMs: 60_000,
  maxDeliver: 10,
  backoffMs: [1_000, 5_000, 30_000, 60_000, 300_000],
  maxAckPending: 64,
} as const

/** The saga's verdicts: confirmed, failed, cancelled. */
export const sagaConsumer: ConsumerSpec = {
  ...mail,
  stream: Streams.ORDERS.name,
  durable: 'notification-saga',
  filterSubjects: [ORDER_SAGA_SUBJECTS],
  description: "Mails the customer the saga's verdict on the order",
}

/** Shipment progress: shipped, delivered. */
export const shipmentsConsumer: ConsumerSpec = {
  ...mail,
  stream: Streams.FULFILLMENT.name,
  durable: 'notification-shipments',
  filterSubjects: ['fulfillment.evt.>'],
  description: 'Mails the customer when the order ships and is delivered',
}
