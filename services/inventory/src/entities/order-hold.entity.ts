import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import type { StoredRejection } from '../domain/reservation-plan.js'
import { HOLD_STATUSES } from '../domain/reservation-status.js'

export type { StoredRejection }

/**
 * The inventory's verdict on one order, with its lines in `reservations`. It exists so that every
 * order the inventory has heard of has one row: a repeated command finds the earlier verdict, a
 * release that overtook its reserve leaves a RELEASED row the reserve then respects, and the
 * expiry worker claims whole orders with SKIP LOCKED.
 */
export const OrderHold = defineEntity({
  name: 'OrderHold',
  tableName: 'order_holds',
  properties: {
    orderId: p.uuid().primary(),
    status: p.enum(HOLD_STATUSES),
    rejection: p.json<StoredRejection>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    /** Until when RESERVED stock is held without a commit or release; null in any other state. */
    expiresAt: p.datetime().nullable(),
  },
  // What the expiry worker scans: only live reservations, so the index stays small.
  indexes: [{ name: 'order_holds_expiring_idx', properties: ['expiresAt'], where: `status = 'RESERVED'` }],
})

export type IOrderHold = InferEntity<typeof OrderHold>
