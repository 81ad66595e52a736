import Type, { type Static } from 'typebox'
import { Sku, SkuPrice, SkuPriced } from '@orderflow/contracts'
import { MAX_PRICES } from '../domain/price-list.js'
import { HOLD_STATUSES, LINE_STATUSES, REJECTION_REASONS } from '../domain/reservation-status.js'
import { MAX_UNITS } from '../domain/stock-change.js'

export const SkuParams = Type.Object({ sku: Sku })

const Reason = Type.String({ minLength: 1, maxLength: 200, description: 'Why the count changed; kept in the audit trail.' })

export const PutStockBody = Type.Union([
  Type.Object(
    { set: Type.Integer({ minimum: 0, maximum: MAX_UNITS, description: 'The counted units on hand.' }), reason: Reason },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      adjust: Type.Integer({ minimum: -MAX_UNITS, maximum: MAX_UNITS, not: { const: 0 }, description: 'Units received (+) or written off (-).' }),
      reason: Reason,
    },
    { additionalProperties: false },
  ),
])
export type PutStockBody = Static<typeof PutStockBody>

export const StockView = Type.Object({
  sku: Type.String(),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  /** What can still be reserved: onHand - reserved. */
  available: Type.Integer(),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type StockView = Static<typeof StockView>

export const ListStockQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    /** Opaque; taken from the previous page's `nextCursor`. */
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
)

export const StockList = Type.Object({
  items: Type.Array(StockView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

export const ReservationQuery = Type.Object({ orderId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })

export const ReservationView = Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  status: Type.Enum(HOLD_STATUSES),
  /** Until when RESERVED stock is held; absent in any other state. */
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  rejection: Type.Optional(
    Type.Object({
      reason: Type.Enum(REJECTION_REASONS),
      unavailable: Type.Array(Type.Object({ sku: Type.String(), requested: Type.Integer(), available: Type.Integer() })),
    }),
  ),
  items: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer(), status: Type.Enum(LINE_STATUSES) })),
})
export type ReservationView = Static<typeof ReservationView>

export const PutPricesBody = Type.Object(
  {
    prices: Type.Array(SkuPrice, {
      maxItems: MAX_PRICES,
      description: 'The whole list, one entry per currency (ISO 4217, unit price in its minor units); it replaces the current one. Empty: no longer sold.',
    }),
  },
  { additionalProperties: false },
)
export type PutPricesBody = Static<typeof PutPricesBody>

export const PriceListView = Type.Object({
  sku: Type.String(),
  /** By currency code. */
  prices: SkuPriced.data.properties.prices,
  /** Counts the list's changes from 1, as the `SkuPriced` events do. */
  version: Type.Integer(),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type PriceListView = Static<typeof PriceListView>
