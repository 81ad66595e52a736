import type { EntityManager } from '@mikro-orm/postgresql'
import { OrderHold, type IOrderHold } from '../entities/order-hold.entity.js'
import { Reservation, type IReservation } from '../entities/reservation.entity.js'
import { Stock, type IStock } from '../entities/stock.entity.js'
import { encodeCursor } from './stock-cursor.js'

export interface StockPage {
  items: IStock[]
  nextCursor: string | null
}

export function findStock(em: EntityManager, sku: string): Promise<IStock | null> {
  return em.findOne(Stock, { sku })
}

/**
 * One page of stock by SKU. Keyset pagination on the primary key: each page is one index range
 * scan however deep the client has paged, and SKUs created meanwhile never shift the pages.
 */
export async function listStock(em: EntityManager, f: { after?: string | undefined; limit: number }): Promise<StockPage> {
  // One row more than asked tells whether there is a next page without a COUNT.
  const rows = await em.find(Stock, f.after === undefined ? {} : { sku: { $gt: f.after } }, { orderBy: { sku: 'asc' }, limit: f.limit + 1 })
  const items = rows.slice(0, f.limit)
  const last = items.at(-1)
  return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last.sku) : null }
}

/** The order's hold with its lines by SKU, or `null` if the inventory never heard of the order. */
export async function findOrderReservation(em: EntityManager, orderId: string): Promise<{ hold: IOrderHold; lines: IReservation[] } | null> {
  const hold = await em.findOne(OrderHold, { orderId })
  if (!hold) return null
  return { hold, lines: await em.find(Reservation, { orderId }, { orderBy: { sku: 'asc' } }) }
}
