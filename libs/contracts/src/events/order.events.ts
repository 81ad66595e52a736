import Type from 'typebox'
import { defineMessage } from '../envelope.js'
import { Streams } from '../streams.js'
import { Currency, CustomerId, MinorUnits, OrderId, OrderLine } from './common.js'

const stream = Streams.ORDERS.name

/**
 * What the saga says about an order shares the `order.evt.saga.` prefix, so one consumer with one
 * filter subject (all nats-server 2.9 offers) receives it all and none of the intake events.
 */
export const ORDER_SAGA_SUBJECTS = 'order.evt.saga.>'

export const ShippingAddress = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    line1: Type.String({ minLength: 1, maxLength: 200 }),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    postalCode: Type.String({ minLength: 1, maxLength: 20 }),
    country: Type.String({ pattern: '^[A-Z]{2}$' }),
  },
  { additionalProperties: false },
)

export const PaymentDetails = Type.Object(
  {
    method: Type.Union([Type.Literal('card')]),
    /** A token from the payment provider (never a card number). */
    token: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
)

/**
 * A customer placed an order. The order's saga starts in the same transaction (it lives beside
 * the order); this event is for whoever follows orders (notification, reporting). The payment
 * details stay out of it: only the saga needs the card token, and it keeps it to itself.
 */
export const OrderCreated = defineMessage({
  type: 'orderflow.order.created.v1',
  subject: 'order.evt.created',
  stream,
  data: Type.Object(
    {
      orderId: OrderId,
      customerId: CustomerId,
      email: Type.String({ format: 'email', maxLength: 254 }),
      currency: Currency,
      items: Type.Array(OrderLine, { minItems: 1, maxItems: 100 }),
      totalAmount: MinorUnits,
      shippingAddress: Type.Optional(ShippingAddress),
      payment: Type.Optional(PaymentDetails),
    },
    { additionalProperties: false },
  ),
})

/** Stock reserved and payment authorized: the order will be fulfilled. */
export const OrderConfirmed = defineMessage({
  type: 'orderflow.order.confirmed.v1',
  subject: 'order.evt.saga.confirmed',
  stream,
  data: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
})

/** Machine-readable reasons an order fails; the event's `message` carries the human one. */
export const ORDER_FAILURE_REASONS = ['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'TIMEOUT', 'INVALID_ORDER'] as const
export const OrderFailureReason = Type.Enum(ORDER_FAILURE_REASONS)

/** The saga gave up; everything it did has been undone. */
export const OrderFailed = defineMessage({
  type: 'orderflow.order.failed.v1',
  subject: 'order.evt.saga.failed',
  stream,
  data: Type.Object(
    {
      orderId: OrderId,
      reason: OrderFailureReason,
      message: Type.String({ minLength: 1, maxLength: 500 }),
    },
    { additionalProperties: false },
  ),
})

/** A cancellation went through; everything the saga did has been undone. */
export const OrderCancelled = defineMessage({
  type: 'orderflow.order.cancelled.v1',
  subject: 'order.evt.saga.cancelled',
  stream,
  data: Type.Object(
    { orderId: OrderId, reason: Type.Optional(Type.String({ maxLength: 500 })) },
    { additionalProperties: false },
  ),
})

/** The saga's steps, for the order's timeline. */
export const SAGA_STEPS = [
  'STOCK_RESERVED',
  'PAYMENT_AUTHORIZED',
  'STOCK_COMMITTED',
  'PAYMENT_CAPTURED',
  'COMPENSATING',
  'STOCK_RELEASED',
  'PAYMENT_VOIDED',
  'PAYMENT_REFUNDED',
] as const

/**
 * A step of the saga happened. The saga lives in the order service, which writes the step on the
 * order's timeline in the same transaction; the message is the state machine's way to say so and
 * is not published.
 */
export const OrderProgressed = defineMessage({
  type: 'orderflow.order.progressed.v1',
  subject: 'order.evt.saga.progressed',
  stream,
  data: Type.Object(
    { orderId: OrderId, step: Type.Enum(SAGA_STEPS), detail: Type.Optional(Type.String({ maxLength: 500 })) },
    { additionalProperties: false },
  ),
})

/** A cancellation came too late (the goods have left); the order goes on. Timeline only, like OrderProgressed. */
export const OrderCancelRefused = defineMessage({
  type: 'orderflow.order.cancel_refused.v1',
  subject: 'order.evt.saga.cancel_refused',
  stream,
  data: Type.Object(
    { orderId: OrderId, message: Type.String({ minLength: 1, maxLength: 500 }) },
    { additionalProperties: false },
  ),
})
