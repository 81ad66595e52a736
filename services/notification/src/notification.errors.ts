/**
 * A saga or shipment event arrived before the order's `order.created` (they travel on different
 * consumers), so the customer's address is not known yet. Retryable: the consumer's backoff
 * gives the order's event time to arrive.
 */
export class RecipientUnknownError extends Error {
  override readonly name = 'RecipientUnknownError'
  constructor(readonly orderId: string) {
    super(`no recipient known for order ${orderId} yet; order.created has not been processed`)
  }
}

/** The SMTP server did not take the mail. Retryable: the stored notification is sent again. */
export class SendFailedError extends Error {
  override readonly name = 'SendFailedError'
  constructor(
    readonly notificationId: string,
    options?: ErrorOptions,
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(`sending notification ${notificationId} failed${reason}`, options)
  }
}
