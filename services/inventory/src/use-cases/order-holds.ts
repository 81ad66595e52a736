import { LockMode } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { OrderHold, type IOrderHold } from '../entities/order-hold.entity.js'
import { Reservation, type IReservation } from '../entities/reservation.entity.js'
import { lockOrder } from '../repositories/stock.sql.js'

export interface LockedOrder {
  hold: IOrderHold | null
  lines: IReservation[]
}

/**
 * Takes the order's lock and reads its hold (row-locked too, so the expiry worker's SKIP LOCKED
 * passes it by) and its lines, sorted by SKU. Every command handler starts here.
 */
export async function lockOrderHold(em: EntityManager, orderId: string): Promise<LockedOrder> {
  await lockOrder(em, orderId)
  const hold = await em.findOne(OrderHold, { orderId }, { lockMode: LockMode.PESSIMISTIC_WRITE })
  const lines = hold ? await em.find(Reservation, { orderId }, { orderBy: { sku: 'asc' } }) : []
  return { hold, lines }
}
