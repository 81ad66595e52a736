import type { EntityManager } from '@mikro-orm/postgresql'
import { CommitStock, isEventOf, type CloudEvent, type DataOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { commitStock, type CommitOutcome } from '../use-cases/commit-stock.js'
import { commandBatchHandler } from './command-batch.js'
import { commitConsumer } from './consumers.js'

const consumer = commitConsumer.durable

/** `inventory.cmd.commit`: the reserved units leave the books. */
export function commitStockHandler({ orm, metrics }: { orm: Orm; metrics: InventoryMetrics }): EventHandler {
  return async (event, ctx) => {
    const command = commandOf(event)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => commitHeld(em, command))
    if (result.duplicate) return ctx.logger.debug('commit command already processed')
    if (!result.result.repeated) metrics.reservation('committed')
  }
}

/** The same for a batch of commands, in one transaction (see `commandBatchHandler`). */
export function commitStockBatchHandler({ orm, metrics }: { orm: Orm; metrics: InventoryMetrics }): BatchHandler {
  return commandBatchHandler({
    orm,
    consumer,
    commandOf,
    run: commitHeld,
    report: (result) => {
      if (!result.repeated) metrics.reservation('committed')
    },
  })
}

function commandOf(event: CloudEvent): DataOf<typeof CommitStock> {
  if (!isEventOf(CommitStock, event)) throw new PermanentError(`${consumer} handles ${CommitStock.type}, not ${event.type}`)
  return event.data
}

async function commitHeld(em: EntityManager, { orderId }: DataOf<typeof CommitStock>): Promise<Extract<CommitOutcome, { kind: 'committed' }>> {
  const outcome = await commitStock(em, orderId)
  // Thrown inside the transaction so the inbox row rolls back too: the saga committed stock
  // it does not hold (an expired or released reservation), which an operator must look at;
  // replaying the dead letter afterwards runs the commit again.
  if (outcome.kind === 'not-held') {
    throw new PermanentError(`order ${orderId} holds no reserved stock to commit (${outcome.status ?? 'never reserved'})`)
  }
  return outcome
}
