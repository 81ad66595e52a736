import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { LINE_STATUSES } from '../domain/reservation-status.js'

/** One SKU an order holds (or held); the primary key makes reserving a line twice impossible. */
export const Reservation = defineEntity({
  name: 'Reservation',
  tableName: 'reservations',
  properties: {
    orderId: p.uuid().primary(),
    sku: p.string().length(64).primary(),
    quantity: p.integer(),
    status: p.enum(LINE_STATUSES),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime(),
  },
  primaryKeys: ['orderId', 'sku'],
  checks: [{ name: 'reservations_quantity_positive', expression: 'quantity > 0' }],
})

export type IReservation = InferEntity<typeof Reservation>
