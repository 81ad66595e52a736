import type { RejectionReason } from './reservation-status.js'

export interface StockLine {
  readonly sku: string
  readonly quantity: number
}

export interface StockLevel {
  readonly onHand: number
  readonly reserved: number
}

export interface UnavailableLine {
  readonly sku: string
  readonly requested: number
  readonly available: number
}

/** Why an order was rejected, kept so a repeated reserve command gets the same answer, word for word. */
export interface StoredRejection {
  reason: RejectionReason
  unavailable: UnavailableLine[]
}

export type ReservationPlan =
  | { readonly kind: 'reserve'; readonly lines: readonly StockLine[] }
  | { readonly kind: 'reject'; readonly reason: RejectionReason; readonly unavailable: readonly UnavailableLine[] }

/**
 * One line per SKU, sorted by SKU. Sorting is what keeps concurrent orders from deadlocking:
 * every transaction locks stock rows in the same order. Repeated SKUs are summed, since an order
 * holds one reservation row per SKU.
 */
export function mergeLines(items: readonly StockLine[]): StockLine[] {
  const bySku = new Map<string, number>()
  for (const { sku, quantity } of items) bySku.set(sku, (bySku.get(sku) ?? 0) + quantity)
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }))
}

export const available = (level: StockLevel): number => level.onHand - level.reserved

/**
 * All or nothing: every line fits in what is available, or the order is rejected listing every
 * line that does not (an unknown SKU counts as 0 available and makes the reason UNKNOWN_SKU,
 * which no restock will fix).
 */
export function planReservation(lines: readonly StockLine[], levels: ReadonlyMap<string, StockLevel>): ReservationPlan {
  const unavailable: UnavailableLine[] = []
  let unknown = false
  for (const line of lines) {
    const level = levels.get(line.sku)
    if (!level) unknown = true
    const free = level ? Math.max(0, available(level)) : 0
    if (free < line.quantity) unavailable.push({ sku: line.sku, requested: line.quantity, available: free })
  }
  if (unavailable.length === 0) return { kind: 'reserve', lines }
  return { kind: 'reject', reason: unknown ? 'UNKNOWN_SKU' : 'OUT_OF_STOCK', unavailable }
}
