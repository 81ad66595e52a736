import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Order } from './order.entity.js'

/** One step of the order's history, shown to the customer with its time. */
export const TimelineEntry = defineEntity({
  name: 'TimelineEntry',
  tableName: 'order_timeline',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule('cascade').index(),
    /** What happened: CREATED, CANCEL_REQUESTED, CONFIRMED, FAILED, CANCELLED, PICKING, SHIPPED, DELIVERED. */
    type: p.string().length(40),
    /** When it happened: the event's own time, not when we projected it. */
    at: p.datetime(),
    detail: p.string().length(500).nullable(),
    /** The event that caused it, if any. */
    eventId: p.uuid().nullable(),
  },
})

export type ITimelineEntry = InferEntity<typeof TimelineEntry>
