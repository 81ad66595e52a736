import type { CloudEvent } from '@orderflow/contracts'
import { processBatchOnce, type Orm } from '@orderflow/db'
import type { BatchHandler, HandlerContext } from '@orderflow/messaging'

/** The EntityManager of the batch's transaction (a service's `@mikro-orm/postgresql` one). */
type EntityManager = Parameters<Parameters<typeof processBatchOnce>[3]>[0]

export interface TransactionalBatch<C, R> {
  readonly orm: Orm
  /** The consumer's durable name: its inbox key. */
  readonly consumer: string
  /** What an event asks of the service; throws (a PermanentError) for an event the consumer does not take. */
  readonly commandOf: (event: CloudEvent) => C
  /**
   * Takes every lock the batch needs before any event is handled, together and in an order every
   * writer agrees on (sorted keys, in one statement each), so two batches cannot deadlock.
   */
  readonly lock: (em: EntityManager, commands: readonly C[]) => Promise<void>
  /** One event's work, in the batch's transaction and the event's span; throwing fails the batch. */
  readonly run: (em: EntityManager, command: C, event: CloudEvent) => Promise<R>
  /** After the commit, for each event handled (not a duplicate): logs and metrics. */
  readonly report?: (result: R, command: C, context: HandlerContext) => void
}

/**
 * The batch handler most consumers need: in one transaction, the inbox rows of the whole batch
 * (`processBatchOnce`), the batch's locks, then each new event's work in turn, each in its own
 * consumer span; after the commit, each result is reported. All or nothing, as every
 * {@link BatchHandler} is.
 */
export function transactionalBatchHandler<C, R>(batch: TransactionalBatch<C, R>): BatchHandler {
  return async (deliveries) => {
    const items = deliveries.map((delivery) => ({ id: delivery.event.id, delivery, command: batch.commandOf(delivery.event) }))
    const done = await processBatchOnce(batch.orm, batch.consumer, items, async (em, fresh) => {
      await batch.lock(em, fresh.map((item) => item.command))
      const results: Array<{ result: R; item: (typeof items)[number] }> = []
      for (const item of fresh) {
        results.push({ result: await item.delivery.traced(() => batch.run(em, item.command, item.delivery.event)), item })
      }
      return results
    })
    for (const { result, item } of done) batch.report?.(result, item.command, item.delivery.context)
  }
}
