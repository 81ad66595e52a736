import { CommitStock, ReleaseStock, ReserveStock, Streams } from '@orderflow/contracts'
import { SHORT_TRANSACTION_DELIVERY, type ConsumerSpec } from '@orderflow/messaging'

// Each command is one short transaction on a few rows. A hot SKU makes them queue on its row
// lock, so the first retries come quickly; a message that still fails after the last one is a
// bug or an outage an operator should see in the dead letters.
const command = SHORT_TRANSACTION_DELIVERY

/** nats-server 2.9 allows one filter subject per consumer, hence one consumer per command. */
export const reserveConsumer: ConsumerSpec = {
  ...command,
  stream: Streams.INVENTORY.name,
  durable: 'inventory-reserve',
  filterSubjects: [ReserveStock.subject],
  description: "Reserves an order's stock, all lines or none",
}

export const releaseConsumer: ConsumerSpec = {
  ...command,
  stream: Streams.INVENTORY.name,
  durable: 'inventory-release',
  filterSubjects: [ReleaseStock.subject],
  description: 'Gives back what an order holds',
}

export const commitConsumer: ConsumerSpec = {
  ...command,
  stream: Streams.INVENTORY.name,
  durable: 'inventory-commit',
  filterSubjects: [CommitStock.subject],
  description: "Takes a confirmed order's reserved stock off the books",
}
