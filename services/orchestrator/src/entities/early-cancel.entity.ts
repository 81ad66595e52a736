import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/**
 * A cancel request for an order the saga has not seen yet: `order.cancel_requested` can overtake
 * `order.created` (two consumers, retries). The saga of that order starts cancelled.
 */
export const EarlyCancel = defineEntity({
  name: 'EarlyCancel',
  tableName: 'early_cancels',
  properties: {
    orderId: p.uuid().primary(),
    requestedBy: p.string().length(200),
    reason: p.string().length(500).nullable(),
    requestedAt: p.datetime(),
  },
})

export type IEarlyCancel = InferEntity<typeof EarlyCancel>
