/**
 * What the n-th order of a run is: most go through; some are declined at the card, some ask for
 * the one scarce SKU and may find it gone, some are cancelled by the customer at a random-looking
 * but fixed moment. The mix is a function of n, so two runs send the same orders.
 */
export type OrderKind = 'normal' | 'decline' | 'scarce' | 'cancel'

export interface MixedOrder {
  kind: OrderKind
  body: OrderBody
  /** For `cancel`: how long after the 202 the cancel is sent. */
  cancelAfterMs?: number
}

export interface OrderBody {
  customerId: string
  email: string
  currency: 'EUR'
  items: { sku: string; quantity: number }[]
  shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string }
  payment: { method: 'card'; token: string }
}

/** Every order of a run belongs to `chaos-<n>`: the books and the checks select them by this prefix. */
export const CUSTOMER_PREFIX = 'chaos-'
/** SKUs stocked far beyond what a run takes: their orders never run out. */
export const PLENTIFUL_SKUS = ['CHAOS-SKU-1', 'CHAOS-SKU-2', 'CHAOS-SKU-3', 'CHAOS-SKU-4'] as const
export const PLENTIFUL_UNITS = 1_000_000
/** One unit per order, stocked for about half of the orders that ask for it. */
export const SCARCE_SKU = 'CHAOS-SCARCE'
/** Cancels come at once, while the saga reserves, around confirmation, and once it may have shipped. */
const CANCEL_DELAYS_MS = [0, 150, 600, 2_000] as const
/** Out of every ten orders: one declined, one scarce, one cancelled; seven that should be delivered. */
const KIND_BY_DIGIT: readonly OrderKind[] = ['normal', 'normal', 'normal', 'decline', 'normal', 'normal', 'scarce', 'normal', 'normal', 'cancel']

export function kindOf(n: number): OrderKind {
  return KIND_BY_DIGIT[n % 10] ?? 'normal'
}

/** The customer id of the n-th order, and back: orders whose 202 was lost are found by it. */
export const customerIdOf = (n: number) => `${CUSTOMER_PREFIX}${n}`
export function orderNumberOf(customerId: string): number | undefined {
  if (!customerId.startsWith(CUSTOMER_PREFIX)) return undefined
  const n = Number(customerId.slice(CUSTOMER_PREFIX.length))
  return Number.isInteger(n) && n >= 0 ? n : undefined
}

export function mixedOrder(n: number): MixedOrder {
  const kind = kindOf(n)
  const sku = kind === 'scarce' ? SCARCE_SKU : (PLENTIFUL_SKUS[n % PLENTIFUL_SKUS.length] ?? 'CHAOS-SKU-1')
  const body: OrderBody = {
    customerId: customerIdOf(n),
    email: `chaos-${n}@example.com`,
    currency: 'EUR',
    // No unit price: the order service prices each line from the SKU's price list.
    items: [{ sku, quantity: kind === 'scarce' ? 1 : 1 + (n % 3) }],
    shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
    payment: { method: 'card', token: kind === 'decline' ? 'tok_decline' : 'tok_visa' },
  }
  return kind === 'cancel' ? { kind, body, cancelAfterMs: CANCEL_DELAYS_MS[Math.floor(n / 10) % CANCEL_DELAYS_MS.length] ?? 0 } : { kind, body }
}

/** Units of the scarce SKU for `total` orders: enough for about half of those that ask for it. */
export function scarceUnits(total: number): number {
  return Math.max(2, Math.round(total / 10 / 2))
}

/**
 * The outcomes an order of each kind may end in. Anything else is a breach: a FAILED order whose
 * kind calls for no failure failed for the outage (TIMEOUT) or for a bug.
 */
export function allowedOutcome(kind: OrderKind, status: string, failureReason: string | null): boolean {
  switch (kind) {
    case 'normal':
      return status === 'DELIVERED'
    case 'decline':
      return status === 'FAILED' && failureReason === 'PAYMENT_DECLINED'
    case 'scarce':
      return status === 'DELIVERED' || (status === 'FAILED' && failureReason === 'OUT_OF_STOCK')
    case 'cancel':
      // A cancel that came after the goods left is refused, and the order is delivered.
      return status === 'CANCELLED' || status === 'DELIVERED'
  }
}
