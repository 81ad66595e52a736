/** One entry of a SKU's price list: a currency and what one unit costs in its minor units. */
export interface Price {
  readonly currency: string
  readonly unitPrice: number
}

/**
 * Most currencies one SKU may be priced in; the `SkuPriced` event carries the whole list and
 * its contract allows this many.
 */
export const MAX_PRICES = 50

/** The first currency the list names twice, or `undefined`: a list holds one price per currency. */
export function repeatedCurrency(prices: readonly Price[]): string | undefined {
  const seen = new Set<string>()
  for (const { currency } of prices) {
    if (seen.has(currency)) return currency
    seen.add(currency)
  }
  return undefined
}

/**
 * The list as it is stored, answered and published: by currency code, so that one list reads
 * the same whatever order the client sent it in.
 */
export function byCurrency(prices: readonly Price[]): Price[] {
  return prices.map(({ currency, unitPrice }) => ({ currency, unitPrice })).sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0))
}
