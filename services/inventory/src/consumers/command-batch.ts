import type { EntityManager } from '@mikro-orm/postgresql'
import type { CloudEvent } from '@orderflow/contracts'
import type { Orm } from '@orderflow/db'
import type { BatchHandler, HandlerContext } from '@orderflow/messaging'
import { transactionalBatchHandler } from '@orderflow/runtime'
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
  readonly report?: (result: R, command: C, context: HandlerContext) => void
}

/** A batch handler for one inventory consumer's commands: every lock up front (see `lockOrdersForBatch`). */
export function commandBatchHandler<C extends { readonly orderId: string }, R>(batch: CommandBatch<C, R>): BatchHandler {
  const { skusOf } = batch
  return transactionalBatchHandler({
    ...batch,
    lock: (em, commands) =>
      lockOrdersForBatch(
        em,
        commands.map((c) => c.orderId),
        skusOf ? commands.flatMap((c) => skusOf(c)) : [],
      ),
  })
}
