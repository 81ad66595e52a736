/**
 * What the inventory decided for one order. REJECTED holds nothing; RELEASED and EXPIRED gave
 * back what was held (EXPIRED: by the expiry worker, because no saga did). Once an order is
 * RELEASED or EXPIRED it never holds stock again, so a reserve command that arrives after its
 * release (they travel on different consumers) cannot strand stock.
 */
export const HOLD_STATUSES = ['RESERVED', 'REJECTED', 'COMMITTED', 'RELEASED', 'EXPIRED'] as const
export type HoldStatus = (typeof HOLD_STATUSES)[number]

/** The state of one reserved line; always the same as its order's hold, which has no lines when REJECTED. */
export const LINE_STATUSES = ['RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED'] as const
export type LineStatus = (typeof LINE_STATUSES)[number]

export const REJECTION_REASONS = ['OUT_OF_STOCK', 'UNKNOWN_SKU'] as const
export type RejectionReason = (typeof REJECTION_REASONS)[number]

/** A hold whose stock is no longer counted anywhere: a new reserve for the order is stale. */
export function isClosed(status: HoldStatus): boolean {
  return status === 'RELEASED' || status === 'EXPIRED'
}
