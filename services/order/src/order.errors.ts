import { defineErrors } from '@orderflow/http'

/** The order service's stable problem codes; clients may switch on `code`, never on `title`. */
export const OrderErrors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, title: 'Order not found' },
  CUSTOMER_MISMATCH: { status: 403, title: 'A customer token orders only for itself' },
  ORDER_NOT_CANCELLABLE: { status: 409, title: 'Order can no longer be cancelled' },
  ORDER_TOTAL_TOO_LARGE: { status: 400, title: 'Order total is too large' },
  SKU_NOT_PRICED: { status: 422, title: 'An item has no price: it is not for sale' },
  CURRENCY_NOT_SOLD: { status: 422, title: 'An item is not sold in the order currency' },
  PRICE_MISMATCH: { status: 409, title: 'A unit price sent differs from the price list' },
  INVALID_CURSOR: { status: 400, title: 'Invalid pagination cursor' },
  INVALID_DATE_RANGE: { status: 400, title: 'createdFrom must not be after createdTo' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency-Key was already used with a different request' },
})
