import type { PaymentStatus } from '../domain/payment-status.js'

/** The command cannot apply to the payment as it is, and never will: it is dead-lettered. */
export class PaymentCommandRefusedError extends Error {
  override readonly name = 'PaymentCommandRefusedError'
  constructor(
    readonly orderId: string,
    readonly status: PaymentStatus | 'NONE',
    message: string,
  ) {
    super(message)
  }
}

/**
 * The payment is still AUTHORIZING: the command may apply once it settles, so it is retried.
 * (An authorization in flight holds the payment's lock, so only a row an earlier version of the
 * service left AUTHORIZING is seen so.)
 */
export class PaymentNotSettledError extends Error {
  override readonly name = 'PaymentNotSettledError'
  constructor(readonly orderId: string) {
    super(`payment of order ${orderId} is still AUTHORIZING`)
  }
}
