import { defineErrors } from '@orderflow/http'

/** The payment service's stable problem codes; clients may switch on `code`, never on `title`. */
export const PaymentErrors = defineErrors({
  PAYMENT_NOT_FOUND: { status: 404, title: 'Payment not found' },
})
