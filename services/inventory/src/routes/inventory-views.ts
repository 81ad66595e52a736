import type { IOrderHold } from '../entities/order-hold.entity.js'
import type { IPriceList } from '../entities/price-list.entity.js'
import type { IReservation } from '../entities/reservation.entity.js'
import type { IStock } from '../entities/stock.entity.js'
import type { PriceListState } from '../use-cases/set-prices.js'
import type { PriceListView, ReservationView, StockView } from './inventory.schemas.js'

export function toStockView(s: IStock): StockView {
  return { sku: s.sku, onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved, updatedAt: s.updatedAt.toISOString() }
}

export function toReservationView(hold: IOrderHold, lines: readonly IReservation[]): ReservationView {
  return {
    orderId: hold.orderId,
    status: hold.status,
    ...(hold.expiresAt ? { expiresAt: hold.expiresAt.toISOString() } : {}),
    ...(hold.rejection ? { rejection: hold.rejection } : {}),
    items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, status: l.status })),
  }
}

export function toPriceListView(l: IPriceList | PriceListState): PriceListView {
  return { sku: l.sku, prices: [...l.prices], version: l.version, updatedAt: l.updatedAt.toISOString() }
}
