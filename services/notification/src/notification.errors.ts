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
