import type { FilterQuery } from '@mikro-orm/core'
import type { EntityManager } from '@mikro-orm/postgresql'
import { Order, type IOrder } from '../entities/order.entity.js'
import { encodeCursor, type OrderCursor, type OrderListFilters } from './order-cursor.js'

export interface OrderFilter extends OrderListFilters {
  /** Where the previous page ended: its last order's (createdAt, id). */
  after?: Pick<OrderCursor, 'createdAt' | 'id'> | undefined
  limit: number
}

export interface OrderPage {
  items: IOrder[]
  nextCursor: string | null
}

/** The order with its items and timeline, or `null`. */
export function findOrderWithDetails(em: EntityManager, id: string): Promise<IOrder | null> {
  return em.findOne(Order, { id }, { populate: ['items', 'timeline'] })
}

/**
 * One page of orders, newest first. Keyset pagination on (createdAt, id): each page is one
 * index range scan however deep the client has paged, and rows inserted meanwhile neither
 * repeat nor vanish between pages as they would with OFFSET.
 */
export async function listOrders(em: EntityManager, f: OrderFilter): Promise<OrderPage> {
  const where: FilterQuery<IOrder>[] = []
  if (f.status) where.push({ status: f.status })
  if (f.customerId) where.push({ customerId: f.customerId })
  if (f.createdFrom) where.push({ createdAt: { $gte: f.createdFrom } })
  if (f.createdTo) where.push({ createdAt: { $lte: f.createdTo } })
  if (f.after) {
    const { createdAt, id } = f.after
    where.push({ $or: [{ createdAt: { $lt: createdAt } }, { createdAt, id: { $lt: id } }] })
  }
  // One row more than asked tells whether there is a next page without a COUNT.
  const rows = await em.find(Order, { $and: where }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: f.limit + 1 })
  const items = rows.slice(0, f.limit)
  const last = items.at(-1)
  // The cursor carries the list's filters and page size: the next page is of the same list.
  const filters: OrderListFilters = { status: f.status, customerId: f.customerId, createdFrom: f.createdFrom, createdTo: f.createdTo }
  return {
    items,
    nextCursor: rows.length > f.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id, filters, limit: f.limit }) : null,
  }
}
