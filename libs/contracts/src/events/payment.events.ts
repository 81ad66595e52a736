import Type from 'typebox'
import { defineMessage } from '../envelope.js'
import { Streams } from '../streams.js'
import { Currency, CustomerId, MinorUnits, OrderId } from './common.js'

const stream = Streams.PAYMENTS.name
const ByOrder = Type.Object({ orderId: OrderId }, { additionalProperties: false })
const Settled = Type.Object(
  { orderId: OrderId, paymentId: Type.String({ format: 'uuid' }), amount: MinorUnits, currency: Currency },
  { additionalProperties: false },
)

/** Hold the order's total on the customer's card. Idempotent per order. */
export const AuthorizePayment = defineMessage({
  type: 'orderflow.payment.authorize.v1',
  subject: 'payment.cmd.authorize',
  stream,
  data: Type.Object(
    {
      orderId: OrderId,
      /**
       * Whose order it is, so that the payment answers its customer's token. Optional: commands
       * sent before it existed still validate, and their payments answer staff only.
       */
      customerId: Type.Optional(CustomerId),
      amount: MinorUnits,
      currency: Currency,
      method: Type.Literal('card'),
      /** The provider's card token (never a card number). */
      token: Type.String({ minLength: 1, maxLength: 200 }),
    },
    { additionalProperties: false },
  ),
})

export const PaymentAuthorized = defineMessage({ type: 'orderflow.payment.authorized.v1', subject: 'payment.evt.authorized', stream, data: Settled })

/**
 * The authorization was refused; `reason` is machine-readable, `message` human. CARD_DECLINED and
 * INSUFFICIENT_FUNDS are the provider's answer; PROVIDER_TIMEOUT is the payment service's when
 * the provider did not answer in time (whatever it may have held was cancelled first, so nothing
 * is charged); VOIDED refuses an authorization that came after the payment was voided.
 */
export const PaymentDeclined = defineMessage({
  type: 'orderflow.payment.declined.v1',
  subject: 'payment.evt.declined',
  stream,
  data: Type.Object(
    {
      orderId: OrderId,
      reason: Type.Enum(['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'PROVIDER_TIMEOUT', 'VOIDED'] as const),
      message: Type.String({ minLength: 1, maxLength: 500 }),
    },
    { additionalProperties: false },
  ),
})

/** Take the authorized amount. Idempotent. */
export const CapturePayment = defineMessage({ type: 'orderflow.payment.capture.v1', subject: 'payment.cmd.capture', stream, data: ByOrder })
export const PaymentCaptured = defineMessage({ type: 'orderflow.payment.captured.v1', subject: 'payment.evt.captured', stream, data: Settled })

/**
 * Cancel an authorization that was not captured (compensation). Idempotent, and final: an
 * authorization still in flight for the order is refused afterwards, so a late provider answer
 * cannot charge a cancelled order.
 */
export const VoidPayment = defineMessage({ type: 'orderflow.payment.void.v1', subject: 'payment.cmd.void', stream, data: ByOrder })
export const PaymentVoided = defineMessage({ type: 'orderflow.payment.voided.v1', subject: 'payment.evt.voided', stream, data: ByOrder })

/** Give a captured amount back (compensation after capture). Idempotent. */
export const RefundPayment = defineMessage({ type: 'orderflow.payment.refund.v1', subject: 'payment.cmd.refund', stream, data: ByOrder })
export const PaymentRefunded = defineMessage({ type: 'orderflow.payment.refunded.v1', subject: 'payment.evt.refunded', stream, data: Settled })
