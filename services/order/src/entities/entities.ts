import { InboxMessage, OutboxMessage } from '@orderflow/db'
import { IdempotencyKey } from './idempotency-key.entity.js'
import { OrderItem } from './order-item.entity.js'
import { Order } from './order.entity.js'
import { PriceList } from './price-list.entity.js'
import { Saga } from './saga.entity.js'
import { TimelineEntry } from './timeline-entry.entity.js'

/** Every table of the order database; migrations are generated from this list. */
export const orderEntities = [Order, OrderItem, TimelineEntry, Saga, PriceList, IdempotencyKey, OutboxMessage, InboxMessage]
