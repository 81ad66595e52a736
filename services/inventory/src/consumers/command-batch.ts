import type { EntityManager } from '@mikro-orm/postgresql'
import type { CloudEvent } from '@orderflow/contracts'
import { processBatchOnce, type Orm } from '@orderflow/db'
import type { BatchDelivery } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { lockOrdersForBatch } from '../repositories/stock.sql.js'

export interface CommandBatch<C extends { readonly orderId: string }, R> {
  readonly orm: Orm
  readonly consumer: string
  /** The command an event carries; throws (a PermanentError) for an event of the wrong type. */
  readonly commandOf: (event: CloudEvent) => C
  /** The SKUs a command will lock besides those its order already holds. @default none */
  readonly skusOf?: (command: C) => readonly string[]
  /** The single-command use case, run in the batch's transaction. */
  readonly run: (em: EntityManager, command: C) => Promise<R>
}

/**
 * Runs a batch of one consumer's commands in one transaction: the inbox rows, every lock the
 * commands need (see `lockOrdersForBatch`), then each command in turn, in its own span. Returns
 * the outcome of each command not seen before, with its logger, for the caller to report.
 */
export async function runCommandBatch<C extends { readonly orderId: string }, R>(
  batch: CommandBatch<C, R>,
  deliveries: readonly BatchDelivery[],
): Promise<Array<{ result: R; logger: Logger }>> {
  const items = deliveries.map((delivery) => ({ id: delivery.event.id, delivery, command: batch.commandOf(delivery.event) }))
  return processBatchOnce(batch.orm, batch.consumer, items, async (em, fresh) => {
    const skus = batch.skusOf ? fresh.flatMap(({ command }) => batch.skusOf?.(command) ?? []) : []
    await lockOrdersForBatch(em, fresh.map(({ command }) => command.orderId), skus)
    const results: Array<{ result: R; logger: Logger }> = []
    for (const { delivery, command } of fresh) {
      results.push({ result: await delivery.traced(() => batch.run(em, command)), logger: delivery.context.logger })
    }
    return results
  })
}
