/**
 * The order's life as the customer sees it. The order's saga decides, and the status moves with
 * it in the same transaction (`SagaChanges`), only ever forward.
 */
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'FAILED', 'CANCELLED'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['DELIVERED', 'FAILED', 'CANCELLED'])

// Progress along the happy path. FAILED and CANCELLED end the order from any earlier point.
const RANK: Record<OrderStatus, number> = { PENDING: 0, CONFIRMED: 1, SHIPPED: 2, DELIVERED: 3, FAILED: 4, CANCELLED: 4 }

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL.has(status)
}

/**
 * Whether the order may move from `current` to `next`. Only forward: a saga that undoes a late
 * answer after it has failed cannot resurrect the order, and nothing undoes DELIVERED.
 */
export function canMove(current: OrderStatus, next: OrderStatus): boolean {
  if (isTerminal(current)) return false
  return RANK[next] > RANK[current]
}

/**
 * A customer may ask to cancel until the goods have left: the saga compensates what it did
 * (releases stock, voids or refunds the payment). Once shipped, or terminal, it is too late.
 */
export function canRequestCancel(status: OrderStatus): boolean {
  return status === 'PENDING' || status === 'CONFIRMED'
}
