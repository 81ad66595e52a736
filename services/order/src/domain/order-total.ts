import { MAX_MINOR_UNITS } from '@orderflow/contracts'

export interface PricedLine {
  readonly quantity: number
  readonly unitPrice: number
}

/**
 * Largest total we accept: the largest amount the events carry (`order.created`'s totalAmount,
 * the payment commands' amount), so an order accepted here is one they can describe.
 */
export const MAX_ORDER_TOTAL = MAX_MINOR_UNITS

/**
 * The order total in minor units, computed on the server (a client's total is never trusted).
 * Returns `undefined` if it would exceed {@link MAX_ORDER_TOTAL}.
 */
export function orderTotal(lines: readonly PricedLine[]): number | undefined {
  let total = 0
  for (const line of lines) {
    // Each line is at most 1000 × MAX_MINOR_UNITS, so the sum stays an exact integer until refused.
    total += line.quantity * line.unitPrice
    if (total > MAX_ORDER_TOTAL) return undefined
  }
  return total
}
