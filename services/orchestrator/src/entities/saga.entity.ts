import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { ORDER_FAILURE_REASONS } from '@orderflow/contracts'
import { SAGA_STATES, type Address, type OrderLineData } from '../domain/saga.js'

const at = () => p.datetime().nullable()

/**
 * One order's saga: where it is, what it did and was told (a timestamp per step), the order data
 * its commands need, and the deadline of the current step. Every transition bumps `version`, so
 * two consumers moving one saga at once cannot overwrite each other (the loser retries).
 */
export const Saga = defineEntity({
  name: 'Saga',
  tableName: 'sagas',
  properties: {
    orderId: p.uuid().primary(),
    state: p.enum(SAGA_STATES),
    version: p.integer().version(),
    /** When the current step gives up or re-sends; null when nothing is owed. */
    deadlineAt: at(),
    customerEmail: p.string().length(254),
    currency: p.string().length(3),
    totalAmount: p.bigint('number'),
    items: p.json<OrderLineData[]>(),
    /** Cleared as soon as AuthorizePayment has been sent (or the saga ends without it). */
    paymentToken: p.string().length(200).nullable(),
    shippingAddress: p.json<Address>().nullable(),
    reservedAt: at(),
    authorizedAt: at(),
    confirmedAt: at(),
    committedAt: at(),
    capturedAt: at(),
    shipmentRequestedAt: at(),
    shippedAt: at(),
    deliveredAt: at(),
    cancelRequestedAt: at(),
    cancelReason: p.string().length(500).nullable(),
    cancelRefusedAt: at(),
    shipmentCancelRequestedAt: at(),
    shipmentCancelledAt: at(),
    releaseRequestedAt: at(),
    releasedAt: at(),
    voidRequestedAt: at(),
    voidedAt: at(),
    refundRequestedAt: at(),
    refundedAt: at(),
    failureReason: p.enum(ORDER_FAILURE_REASONS).nullable(),
    failureMessage: p.string().length(500).nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
  checks: [
    { name: 'sagas_failed_has_reason_check', expression: `state <> 'FAILED' or failure_reason is not null` },
    { name: 'sagas_total_amount_check', expression: 'total_amount >= 0' },
  ],
  indexes: [
    // What the deadline scan reads: due sagas, oldest deadline first. Finished sagas have none,
    // so the index holds only the sagas in flight.
    { name: 'sagas_deadline_idx', properties: ['deadlineAt'], where: 'deadline_at is not null' },
    // What the in-flight gauge counts (an index-only scan over the active states' keys).
    { name: 'sagas_state_idx', properties: ['state'] },
  ],
})

export type ISaga = InferEntity<typeof Saga>
