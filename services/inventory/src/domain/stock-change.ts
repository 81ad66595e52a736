import type { StockLevel } from './reservation-plan.js'

/** A PUT's body: an absolute count after a stocktake, or a delta for a delivery or a write-off. */
export type StockChange = { readonly set: number; readonly reason: string } | { readonly adjust: number; readonly reason: string }

/** Most units one SKU may have on hand: far beyond any warehouse, well within the int column. */
export const MAX_UNITS = 1_000_000_000

export type StockChangeResult =
  | { readonly ok: true; readonly onHand: number; readonly change: number }
  | { readonly ok: false; readonly onHand: number; readonly refusal: 'below-reserved' | 'above-limit' }

/**
 * The new on-hand count, or a refusal: below what is reserved (those units are promised to
 * orders, and taking them away would turn into an oversell at commit time), or above
 * {@link MAX_UNITS} (adjustments, each within it, would otherwise add up past the column's range).
 */
export function applyStockChange(current: StockLevel, change: StockChange): StockChangeResult {
  const onHand = 'set' in change ? change.set : current.onHand + change.adjust
  if (onHand < current.reserved) return { ok: false, onHand, refusal: 'below-reserved' }
  if (onHand > MAX_UNITS) return { ok: false, onHand, refusal: 'above-limit' }
  return { ok: true, onHand, change: onHand - current.onHand }
}
