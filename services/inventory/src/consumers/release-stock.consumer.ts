import { isEventOf, ReleaseStock, type CloudEvent, type DataOf } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import type { Logger } from 'pino'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { releaseStock, type ReleaseOutcome } from '../use-cases/release-stock.js'
import { commandConsumer } from './command-batch.js'
import { releaseConsumer } from './consumers.js'

export type ReleaseEvent = CloudEvent<DataOf<typeof ReleaseStock>>

/** `inventory.cmd.release`: gives the order's stock back; always answers `inventory.released`. */
export function releaseStockConsumer({ logger, metrics }: { logger: Logger; metrics: InventoryMetrics }): Consumer<ReleaseEvent, BatchTx> {
  return commandConsumer({
    spec: releaseConsumer,
    accepts: (event: CloudEvent): event is ReleaseEvent => isEventOf(ReleaseStock, event),
    logger,
    apply(book, event) {
      const { outcome, events } = releaseStock(book, event.data.orderId)
      return { events, report: () => report(outcome, event, metrics, logger) }
    },
  })
}

function report(outcome: ReleaseOutcome, event: ReleaseEvent, metrics: InventoryMetrics, logger: Logger): void {
  if (outcome === 'released' || outcome === 'restocked') metrics.reservation('released')
  logger.debug({ event_id: event.id, order_id: event.data.orderId, outcome, reason: event.data.reason }, 'release processed')
}
