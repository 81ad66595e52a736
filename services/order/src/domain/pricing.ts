import type { ListedPrice } from '../entities/price-list.entity.js'

/** A line as the client sends it: the unit price is optional, and checked when given. */
export interface RequestedLine {
  readonly sku: string
  readonly quantity: number
  readonly unitPrice?: number
}

export interface PricedLine {
  readonly sku: string
  readonly quantity: number
  readonly unitPrice: number
}

export interface PriceMismatch {
  readonly sku: string
  readonly sent: number
  readonly listed: number
}

export type Pricing =
  | { readonly ok: true; readonly items: PricedLine[] }
  | { readonly ok: false; readonly problem: 'SKU_NOT_PRICED'; readonly skus: string[] }
  | { readonly ok: false; readonly problem: 'CURRENCY_NOT_SOLD'; readonly skus: string[] }
  | { readonly ok: false; readonly problem: 'PRICE_MISMATCH'; readonly mismatches: PriceMismatch[] }

/**
 * Prices an order's lines from the price lists: the list is the only source of a unit price. A
 * SKU without a list (or with an empty one: no longer sold) refuses the order, and so does a
 * currency the SKU is not sold in; a unit price the client sent must equal the listed one (a
 * shop that showed its customer a price must not have them charged another). Every offending
 * SKU is named, not just the first.
 */
export function priceLines(currency: string, lines: readonly RequestedLine[], lists: ReadonlyMap<string, readonly ListedPrice[]>): Pricing {
  const unpriced = unique(lines.filter((l) => (lists.get(l.sku)?.length ?? 0) === 0).map((l) => l.sku))
  if (unpriced.length > 0) return { ok: false, problem: 'SKU_NOT_PRICED', skus: unpriced }
  const priceOf = (sku: string) => lists.get(sku)?.find((p) => p.currency === currency)?.unitPrice
  const notSold = unique(lines.filter((l) => priceOf(l.sku) === undefined).map((l) => l.sku))
  if (notSold.length > 0) return { ok: false, problem: 'CURRENCY_NOT_SOLD', skus: notSold }
  const items = lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: priceOf(l.sku)! }))
  const mismatches = lines.flatMap((l, i) => (l.unitPrice !== undefined && l.unitPrice !== items[i]!.unitPrice ? [{ sku: l.sku, sent: l.unitPrice, listed: items[i]!.unitPrice }] : []))
  if (mismatches.length > 0) return { ok: false, problem: 'PRICE_MISMATCH', mismatches }
  return { ok: true, items }
}

const unique = (values: readonly string[]): string[] => [...new Set(values)]
