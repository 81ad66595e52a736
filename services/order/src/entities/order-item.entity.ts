import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { Order } from './order.entity.js'

export const OrderItem = defineEntity({
  name: 'OrderItem',
  tableName: 'order_items',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    order: () => p.manyToOne(Order).deleteRule('cascade').index(),
    /** Keeps the customer's line order. */
    position: p.smallint(),
    sku: p.string().length(64),
    quantity: p.integer(),
    unitPrice: p.bigint('number'),
  },
})

export type IOrderItem = InferEntity<typeof OrderItem>
