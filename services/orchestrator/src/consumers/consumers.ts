import { OrderCancelRequested, OrderCreated, Streams } from '@orderflow/contracts'
import type { ConsumerSpec } from '@orderflow/messaging'

// A saga step is one short transaction on one row. Version conflicts between two consumers of
// the same saga are retried in process first; what still fails (the database away) retries
// quickly, then more slowly, before the message is dead-lettered.
const step = {
  ackWaitMs: 30_000,
  maxDeliver: 8,
  backoffMs: [250, 1_000, 5_000, 15_000, 30_000],
  maxAckPending: 256,
} as const

// nats-server 2.9 allows one filter subject per consumer: one consumer per subject or domain.
export const orderCreatedConsumer: ConsumerSpec = {
  ...step,
  stream: Streams.ORDERS.name,
  durable: 'orchestrator-order-created',
  filterSubjects: [OrderCreated.subject],
  description: 'Starts the saga of each new order',
}

export const cancelRequestedConsumer: ConsumerSpec = {
  ...step,
  stream: Streams.ORDERS.name,
  durable: 'orchestrator-cancel-requested',
  filterSubjects: [OrderCancelRequested.subject],
  description: "Cancels an order's saga, compensating what was done",
}

export const inventoryConsumer: ConsumerSpec = {
  ...step,
  stream: Streams.INVENTORY.name,
  durable: 'orchestrator-inventory',
  filterSubjects: ['inventory.evt.>'],
  description: 'Stock reserved, rejected, committed, released',
}

export const paymentsConsumer: ConsumerSpec = {
  ...step,
  stream: Streams.PAYMENTS.name,
  durable: 'orchestrator-payments',
  filterSubjects: ['payment.evt.>'],
  description: 'Payment authorized, declined, captured, voided, refunded',
}

export const fulfillmentConsumer: ConsumerSpec = {
  ...step,
  stream: Streams.FULFILLMENT.name,
  durable: 'orchestrator-fulfillment',
  filterSubjects: ['fulfillment.evt.>'],
  description: 'Shipment shipped, delivered, cancelled or cancel refused',
}

export const sagaConsumers = [orderCreatedConsumer, cancelRequestedConsumer, inventoryConsumer, paymentsConsumer, fulfillmentConsumer]
