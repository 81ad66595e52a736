import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { ORDER_FAILURE_REASONS } from '@orderflow/contracts'
import { ORDER_STATUSES } from '../domain/order-status.js'
import { OrderItem } from './order-item.entity.js'
import { TimelineEntry } from './timeline-entry.entity.js'

/** The shipping address as the customer gave it; kept as one JSON value, never queried into. */
export interface StoredAddress {
  name: string
  line1: string
  line2?: string
  city: string
  postalCode: string
  country: string
}

export const Order = defineEntity({
  name: 'Order',
  tableName: 'orders',
  properties: {
    id: p.uuid().primary(),
    customerId: p.string().length(100),
    email: p.string().length(254),
    currency: p.string().length(3),
    totalAmount: p.bigint('number'),
    status: p.enum(ORDER_STATUSES),
    failureReason: p.enum(ORDER_FAILURE_REASONS).nullable(),
    failureMessage: p.string().length(500).nullable(),
    shippingAddress: p.json<StoredAddress>().nullable(),
    /** The JWT subject that placed the order. */
    createdBy: p.string().length(200),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    /** Bumped by every change (the saga's SQL writes too); the hot paths lock the row instead of checking it. */
    version: p.integer().version(),
    items: () => p.oneToMany(OrderItem).mappedBy('order').orderBy({ position: 'asc' }),
    timeline: () => p.oneToMany(TimelineEntry).mappedBy('order').orderBy({ at: 'asc', id: 'asc' }),
  },
  // Keyset pagination walks (created_at, id) newest first, optionally within one customer or status.
  indexes: [
    { properties: ['createdAt', 'id'] },
    { properties: ['customerId', 'createdAt', 'id'] },
    { properties: ['status', 'createdAt', 'id'] },
  ],
})

export type IOrder = InferEntity<typeof Order>
