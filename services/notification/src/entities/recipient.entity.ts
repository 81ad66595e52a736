import { defineEntity, p, type InferEntity } from '@mikro-orm/core'

/**
 * Whom to write about an order, remembered from `order.created`: the saga's and the shipments'
 * events name only the order.
 */
export const Recipient = defineEntity({
  name: 'Recipient',
  tableName: 'recipients',
  properties: {
    orderId: p.uuid().primary(),
    customerId: p.string().length(100),
    email: p.string().length(254),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
})

export type IRecipient = InferEntity<typeof Recipient>
