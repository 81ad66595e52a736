import Type, { type Static } from 'typebox'
import { Currency, MinorUnits, OrderFailureReason, OrderLine, PaymentDetails, ShippingAddress } from '@orderflow/contracts'
import { ORDER_STATUSES } from '../domain/order-status.js'

/** Most lines one order may carry; a larger basket is split by the client. */
export const MAX_ORDER_LINES = 100

export const OrderStatusSchema = Type.Enum(ORDER_STATUSES)

/**
 * A line as the client sends it. The price list sets the unit price; a `unitPrice` sent must
 * equal it (PRICE_MISMATCH otherwise), so a shop may send the price it showed and be sure of it.
 */
export const RequestedLine = Type.Object(
  {
    sku: OrderLine.properties.sku,
    quantity: OrderLine.properties.quantity,
    unitPrice: Type.Optional(MinorUnits),
  },
  { additionalProperties: false },
)

export const CreateOrderBody = Type.Object(
  {
    customerId: Type.String({ minLength: 1, maxLength: 100 }),
    email: Type.String({ format: 'email', maxLength: 254 }),
    currency: Currency,
    items: Type.Array(RequestedLine, { minItems: 1, maxItems: MAX_ORDER_LINES }),
    shippingAddress: Type.Optional(ShippingAddress),
    payment: PaymentDetails,
  },
  { additionalProperties: false },
)
export type CreateOrderBody = Static<typeof CreateOrderBody>

export const OrderIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const CancelOrderBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
)

const Links = Type.Object({
  self: Type.String(),
  cancel: Type.Optional(Type.String({ description: 'Present only while the order can still be cancelled (PENDING or CONFIRMED)' })),
})

const ItemView = Type.Object({
  sku: Type.String(),
  quantity: Type.Integer(),
  unitPrice: MinorUnits,
  lineTotal: MinorUnits,
})

const TimelineView = Type.Object({
  type: Type.String(),
  at: Type.String({ format: 'date-time' }),
  detail: Type.Optional(Type.String()),
})

export const OrderSummaryView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: OrderStatusSchema,
  customerId: Type.String(),
  currency: Type.String(),
  totalAmount: MinorUnits,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  links: Links,
})

export const OrderView = Type.Object({
  ...OrderSummaryView.properties,
  email: Type.String(),
  items: Type.Array(ItemView),
  shippingAddress: Type.Optional(ShippingAddress),
  failure: Type.Optional(Type.Object({ reason: OrderFailureReason, message: Type.String() })),
  timeline: Type.Array(TimelineView),
})
export type OrderView = Static<typeof OrderView>

/** A list's page size when neither the request nor its cursor names one. */
export const DEFAULT_PAGE_SIZE = 20

export const ListOrdersQuery = Type.Object(
  {
    status: Type.Optional(OrderStatusSchema),
    customerId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    createdFrom: Type.Optional(Type.String({ format: 'date-time' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time' })),
    // No schema default: a cursor given alone keeps its list's page size.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `Page size; ${DEFAULT_PAGE_SIZE} unless given, or the first page's with a cursor` })),
    /** Opaque; taken from the previous page's `nextCursor`. It carries the list's filters and page size. */
    cursor: Type.Optional(Type.String({ maxLength: 1000, description: "The previous page's nextCursor; alone, it keeps that list's filters and limit" })),
  },
  { additionalProperties: false },
)
export type ListOrdersQuery = Static<typeof ListOrdersQuery>

export const OrderList = Type.Object({
  items: Type.Array(OrderSummaryView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

export const CancelAccepted = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: OrderStatusSchema,
  cancellation: Type.Literal('REQUESTED'),
  links: Links,
})

export const IdempotencyKeyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' })),
})
