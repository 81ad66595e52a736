import type { StockLevel } from './reservation-plan.js'

/** A PUT's body: an absolute count after a stocktake, or a delta for a delivery or a write-off. */
export type StockChange = { readonly set: number; readonly reason: string } | { readonly adjust: number; readonly reason: string }

export type StockChangeResult =
  | { readonly ok: true; readonly onHand: number; readonly change: number }
  | { readonly ok: false; readonly onHand: number }

/**
 * The new on-hand count, or a refusal when it would drop below what is reserved: those units
 * are promised to orders, and taking them away would turn into an oversell at commit time.
 */
export function applyStockChange(current: StockLevel, change: StockChange): StockChangeResult {
  const onHand = 'set' in change ? change.set : current.onHand + change.adjust
  if (onHand < current.reserved) return { ok: false, onHand }
  return { ok: true, onHand, change: onHand - current.onHand }
}
