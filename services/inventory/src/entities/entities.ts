import { InboxMessage, OutboxMessage } from '@orderflow/db'
import { OrderHold } from './order-hold.entity.js'
import { PriceList } from './price-list.entity.js'
import { Reservation } from './reservation.entity.js'
import { StockAdjustment } from './stock-adjustment.entity.js'
import { Stock } from './stock.entity.js'

/** Every table of the inventory database; migrations are generated from this list. */
export const inventoryEntities = [Stock, OrderHold, Reservation, StockAdjustment, PriceList, OutboxMessage, InboxMessage]
