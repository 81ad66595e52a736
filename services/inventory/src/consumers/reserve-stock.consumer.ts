import { isEventOf, ReserveStock, type CloudEvent } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import type { Logger } from 'pino'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { reserveStock, type ReserveCommand, type ReserveOutcome } from '../use-cases/reserve-stock.js'
import { commandConsumer } from './command-batch.js'
import { reserveConsumer } from './consumers.js'

export type ReserveEvent = CloudEvent<ReserveCommand>

export interface ReserveConsumerDeps {
  logger: Logger
  metrics: InventoryMetrics
  /** How long a reservation holds without a commit or release. */
  ttlSeconds: number
}

/** `inventory.cmd.reserve`: the verdict, its lines and its event commit with the inbox rows. */
export function reserveStockConsumer({ logger, metrics, ttlSeconds }: ReserveConsumerDeps): Consumer<ReserveEvent, BatchTx> {
  return commandConsumer({
    spec: reserveConsumer,
    accepts: (event: CloudEvent): event is ReserveEvent => isEventOf(ReserveStock, event),
    logger,
    skusOf: (event) => event.data.items.map((i) => i.sku),
    apply(book, event) {
      const { outcome, events } = reserveStock(book, event.data, new Date(Date.now() + ttlSeconds * 1000))
      return { events, report: () => report(outcome, event, metrics, logger) }
    },
  })
}

function report(outcome: ReserveOutcome, event: ReserveEvent, metrics: InventoryMetrics, logger: Logger): void {
  const ids = { event_id: event.id, order_id: event.data.orderId }
  if (outcome.kind === 'stale') return logger.info({ ...ids, status: outcome.status }, 'reserve command for an order already released; nothing reserved')
  if (outcome.repeated) return logger.debug({ ...ids, verdict: outcome.kind }, 'order already decided; verdict sent again')
  metrics.reservation(outcome.kind)
  if (outcome.kind === 'rejected') logger.info({ ...ids, reason: outcome.rejection.reason, unavailable: outcome.rejection.unavailable }, 'order rejected')
  else logger.debug(ids, 'order reserved')
}
