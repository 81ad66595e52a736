/**
 * The saga's books: what the order, inventory and payment databases must agree on once an order
 * has ended. The rules are pure functions of rows read by {@link readBooks}, so the end-to-end
 * tests, the benchmark and `orderflow books` apply exactly the same ones.
 */

const SUCCEEDED_ORDER = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED'])
const ENDED_ORDER = new Set(['FAILED', 'CANCELLED'])
/** Holds that keep no stock back and took none. */
const NOTHING_HELD = new Set(['REJECTED', 'RELEASED', 'EXPIRED'])
/** Payment states in which the customer's money is neither held nor taken. */
const NOTHING_CHARGED = new Set(['DECLINED', 'VOIDED', 'REFUNDED'])

export interface BookOrder {
  id: string
  status: string
  /** Minor units, as PostgreSQL returns a bigint: a string. */
  totalAmount: string
}
export interface BookHold {
  orderId: string
  status: string
}
export interface BookLine {
  orderId: string
  sku: string
  quantity: number
  status: string
}
export interface BookPayment {
  orderId: string
  status: string
  amount: string | null
}
/** How many provider operations of one kind succeeded for an order. */
export interface BookOperations {
  orderId: string
  operation: string
  succeeded: number
}
export interface BookStock {
  sku: string
  onHand: number
  reserved: number
  /** Units of this SKU in RESERVED lines of any order: what `reserved` must equal. */
  heldByLines: number
}

/** The rows the rules read: the checked orders, the other services' rows for them, all stock. */
export interface Books {
  orders: BookOrder[]
  holds: BookHold[]
  lines: BookLine[]
  payments: BookPayment[]
  operations: BookOperations[]
  stock: BookStock[]
}

export interface BooksReport {
  /** Every broken rule, as a sentence naming the order or SKU; empty when all is well. */
  violations: string[]
  /** Orders still in flight: not wrong yet, but not checked against the other services either. */
  unfinished: string[]
  /** How many of the checked orders are in each status. */
  statuses: Record<string, number>
}

export interface AuditScope {
  /** Orders that must exist; those read but not named here are checked as well. */
  expectedOrderIds?: readonly string[]
  /**
   * Units on hand of some SKUs before the checked orders were placed, when nothing else touched
   * them since: each must now be that minus what the checked orders took.
   */
  stockBefore?: Readonly<Record<string, number>>
}

const byOrder = <R extends { orderId: string }>(rows: readonly R[]) => new Map(rows.map((r) => [r.orderId, r]))

/**
 * The saga's promise: every ended order that succeeded has its stock committed and its payment
 * captured once for its total; every failed or cancelled one holds nothing and was charged
 * nothing; no ended order keeps a line reserved; and every SKU's `reserved` is exactly what the
 * RESERVED lines hold, never below zero nor above what is on hand.
 */
export function auditBooks(books: Books, scope: AuditScope = {}): BooksReport {
  const violations: string[] = []
  const unfinished: string[] = []
  const statuses: Record<string, number> = {}
  const orderById = new Map(books.orders.map((o) => [o.id, o]))
  for (const id of scope.expectedOrderIds ?? []) if (!orderById.has(id)) violations.push(`order ${id} does not exist`)

  const holdOf = byOrder(books.holds)
  const paymentOf = byOrder(books.payments)
  const succeeded = new Map(books.operations.map((r) => [`${r.orderId}/${r.operation}`, r.succeeded]))
  for (const order of books.orders) {
    statuses[order.status] = (statuses[order.status] ?? 0) + 1
    const id = order.id
    const hold = holdOf.get(id)?.status ?? 'none'
    const payment = paymentOf.get(id)
    const captures = succeeded.get(`${id}/CAPTURE`) ?? 0
    const refunds = succeeded.get(`${id}/REFUND`) ?? 0
    if (captures > 1) violations.push(`order ${id} was captured ${captures} times`)
    if (SUCCEEDED_ORDER.has(order.status)) {
      if (hold !== 'COMMITTED') violations.push(`order ${id} is ${order.status} but its stock is ${hold}`)
      if (payment?.status !== 'CAPTURED') violations.push(`order ${id} is ${order.status} but its payment is ${payment?.status ?? 'none'}`)
      else if (payment.amount !== order.totalAmount) violations.push(`order ${id} totals ${order.totalAmount} but ${payment.amount} was captured`)
    } else if (ENDED_ORDER.has(order.status)) {
      if (!NOTHING_HELD.has(hold) && hold !== 'none') violations.push(`order ${id} is ${order.status} but its stock is ${hold}`)
      if (payment && !NOTHING_CHARGED.has(payment.status)) violations.push(`order ${id} is ${order.status} but its payment is ${payment.status}`)
      if (captures !== refunds) violations.push(`order ${id} is ${order.status} but was captured ${captures} and refunded ${refunds} times`)
    } else {
      unfinished.push(`order ${id} has not ended: it is ${order.status}`)
    }
  }

  const taken = new Map<string, number>()
  for (const line of books.lines) {
    const order = orderById.get(line.orderId)
    if (!order) continue
    const ended = SUCCEEDED_ORDER.has(order.status) || ENDED_ORDER.has(order.status)
    if (ended && line.status === 'RESERVED') violations.push(`order ${line.orderId} is ${order.status} but still holds ${line.quantity} × ${line.sku}`)
    if (line.status === 'COMMITTED') taken.set(line.sku, (taken.get(line.sku) ?? 0) + line.quantity)
  }

  const stockOf = new Map(books.stock.map((s) => [s.sku, s]))
  for (const row of books.stock) {
    if (row.reserved !== row.heldByLines) violations.push(`SKU ${row.sku} has ${row.reserved} reserved but its reserved lines hold ${row.heldByLines}`)
    if (row.onHand < 0 || row.reserved < 0 || row.onHand < row.reserved) violations.push(`SKU ${row.sku} is below zero: ${row.onHand} on hand, ${row.reserved} reserved`)
  }
  for (const [sku, before] of Object.entries(scope.stockBefore ?? {})) {
    const row = stockOf.get(sku)
    if (!row) {
      violations.push(`SKU ${sku} has no stock row`)
      continue
    }
    const expected = before - (taken.get(sku) ?? 0)
    if (row.onHand !== expected) violations.push(`SKU ${sku} has ${row.onHand} on hand; ${before} before minus ${taken.get(sku) ?? 0} taken is ${expected}`)
  }
  return { violations, unfinished, statuses }
}
