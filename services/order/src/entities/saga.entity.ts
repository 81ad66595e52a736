import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { SAGA_STATES } from '../saga/saga.js'
import type { StoredProgress } from '../saga/saga-row.js'
import { Order } from './order.entity.js'

/**
 * The saga of one order, beside it: where it is, what it did and was told (`progress`: a
 * timestamp per step, the cancel and the failure), and the deadline of the current step. It
 * changes in the same transaction as its order's status and timeline. The hot paths read and
 * write it with SQL (`saga.sql.ts`); this entity gives the migrations and the operators' view.
 */
export const Saga = defineEntity({
  name: 'Saga',
  tableName: 'sagas',
  properties: {
    order: () => p.oneToOne(Order).primary().deleteRule('cascade'),
    state: p.enum(SAGA_STATES),
    /** Bumped by every move. */
    version: p.integer().default(1),
    /** When the current step gives up or re-sends; null when nothing is owed. */
    deadlineAt: p.datetime().nullable(),
    progress: p.json<StoredProgress>(),
    /** The provider's card token, kept only until AuthorizePayment has been sent. */
    paymentToken: p.string().length(200).nullable(),
    /** The order's `traceparent` at intake: commands the deadline sweep re-sends continue its trace. */
    traceParent: p.string().length(55).nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    /** When the saga entered its state (set by the database when the state changes). */
    stateSince: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    // What the deadline sweep reads: due sagas, oldest deadline first. Finished sagas have none,
    // so the index holds only the sagas in flight.
    { name: 'sagas_deadline_idx', properties: ['deadlineAt'], where: 'deadline_at is not null' },
    // What the in-flight gauges read: how many per state, and since when the oldest is in it.
    { name: 'sagas_state_since_idx', properties: ['state', 'stateSince'] },
  ],
})

export type ISaga = InferEntity<typeof Saga>
