export interface PricedLine {
  readonly quantity: number
  readonly unitPrice: number
}

/** Largest total we accept: within Number's exact integers and PostgreSQL's bigint. */
export const MAX_ORDER_TOTAL = Number.MAX_SAFE_INTEGER

/**
 * The order total in minor units, computed on the server (a client's total is never trusted).
 * Returns `undefined` if it would leave the exact integer range.
 */
export function orderTotal(lines: readonly PricedLine[]): number | undefined {
  let total = 0
  for (const line of lines) {
    total += line.quantity * line.unitPrice
    if (!Number.isSafeInteger(total)) return undefined
  }
  return total
}
