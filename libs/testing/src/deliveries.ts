import type { CloudEvent } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer, Delivery } from '@orderflow/messaging'
import { serviceTransact, type ServiceContext } from '@orderflow/runtime'

/** The events as the consumer runner hands them to `handle`, for calling a consumer directly. */
export function deliveriesOf<E extends CloudEvent>(events: readonly E[], deliveryCount = 1): Delivery<E>[] {
  return events.map((event, i) => ({ event, subject: 'test', streamSeq: i + 1, deliveryCount, traceContext: () => ({}) }))
}

/**
 * Handles `events` as one batch of `consumer`, exactly as the runner does after pulling them: in
 * the service's batch transaction (inbox, effects and outbox in one commit, the outbox published
 * after it) on the test's real database; like the runner, it hands the consumer an event id
 * repeated in the batch only once. Rejects with whatever the consumer threw.
 */
export async function handleBatch<E extends CloudEvent>(
  ctx: Pick<ServiceContext, 'db' | 'outbox'>,
  consumer: Consumer<E, BatchTx>,
  events: readonly E[],
  deliveryCount = 1,
): Promise<void> {
  const ids = new Set<string>()
  const batch = deliveriesOf(events, deliveryCount).filter((d) => {
    const id = d.event.id.toLowerCase()
    if (ids.has(id)) return false
    ids.add(id)
    return true
  })
  await serviceTransact(ctx)(
    consumer.spec.durable,
    batch.map((d) => d.event.id),
    (tx) => consumer.handle(batch, tx),
  )
}
