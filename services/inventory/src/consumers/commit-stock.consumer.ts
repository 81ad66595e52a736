import { CommitStock, isEventOf, type CloudEvent, type DataOf } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import { PermanentError, type Consumer } from '@orderflow/messaging'
import type { Logger } from 'pino'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { commitStock } from '../use-cases/commit-stock.js'
import { commandConsumer } from './command-batch.js'
import { commitConsumer } from './consumers.js'

export type CommitEvent = CloudEvent<DataOf<typeof CommitStock>>

/** `inventory.cmd.commit`: the reserved units leave the books. */
export function commitStockConsumer({ logger, metrics }: { logger: Logger; metrics: InventoryMetrics }): Consumer<CommitEvent, BatchTx> {
  return commandConsumer({
    spec: commitConsumer,
    accepts: (event: CloudEvent): event is CommitEvent => isEventOf(CommitStock, event),
    logger,
    apply(book, event) {
      const { orderId } = event.data
      const { outcome, events } = commitStock(book, orderId)
      // Thrown inside the transaction so the inbox row rolls back too: the saga committed stock
      // it does not hold (an expired or released reservation), which an operator must look at;
      // replaying the dead letter afterwards runs the commit again.
      if (outcome.kind === 'not-held') {
        throw new PermanentError(`order ${orderId} holds no reserved stock to commit (${outcome.status ?? 'never reserved'})`)
      }
      return {
        events,
        report: () => {
          if (!outcome.repeated) metrics.reservation('committed')
          logger.debug({ event_id: event.id, order_id: orderId, repeated: outcome.repeated }, 'commit processed')
        },
      }
    },
  })
}
