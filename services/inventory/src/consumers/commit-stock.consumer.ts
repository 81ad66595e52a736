import { CommitStock, isEventOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { commitStock } from '../use-cases/commit-stock.js'
import { commitConsumer } from './consumers.js'

/** `inventory.cmd.commit`: the reserved units leave the books. */
export function commitStockHandler({ orm, metrics }: { orm: Orm; metrics: InventoryMetrics }): EventHandler {
  const consumer = commitConsumer.durable
  return async (event, ctx) => {
    if (!isEventOf(CommitStock, event)) throw new PermanentError(`${consumer} handles ${CommitStock.type}, not ${event.type}`)
    const { orderId } = event.data
    const result = await processOnce(orm, { consumer, eventId: event.id }, async (em) => {
      const outcome = await commitStock(em, orderId)
      // Thrown inside the transaction so the inbox row rolls back too: the saga committed stock
      // it does not hold (an expired or released reservation), which an operator must look at;
      // replaying the dead letter afterwards runs the commit again.
      if (outcome.kind === 'not-held') {
        throw new PermanentError(`order ${orderId} holds no reserved stock to commit (${outcome.status ?? 'never reserved'})`)
      }
      return outcome
    })
    if (result.duplicate) return ctx.logger.debug('commit command already processed')
    if (!result.result.repeated) metrics.reservation('committed')
  }
}
