import type { Platform } from './platform.js'

const SUCCEEDED_ORDER = new Set(['CONFIRMED', 'SHIPPED', 'DELIVERED'])
const ENDED_ORDER = new Set(['FAILED', 'CANCELLED'])
/** Holds that keep no stock back and took none. */
const NOTHING_HELD = new Set(['REJECTED', 'RELEASED', 'EXPIRED'])
/** Payment states in which the customer's money is neither held nor taken. */
const NOTHING_CHARGED = new Set(['DECLINED', 'VOIDED', 'REFUNDED'])

export interface ConsistencyReport {
  /** Every broken rule, as a sentence naming the order or SKU; empty when all is well. */
  violations: string[]
  /** How many of the checked orders ended in each status. */
  statuses: Record<string, number>
}

interface OrderRow {
  id: string
  status: string
  total_amount: string
}
interface HoldRow {
  order_id: string
  status: string
}
interface LineRow {
  order_id: string
  sku: string
  quantity: number
  status: string
}
interface PaymentRow {
  order_id: string
  status: string
  amount: string | null
}
interface TransactionRow {
  order_id: string
  operation: string
  n: string
}
interface StockRow {
  sku: string
  on_hand: number
  reserved: number
}

const byOrder = <R extends { order_id: string }>(rows: R[]) => new Map(rows.map((r) => [r.order_id, r]))

/**
 * The saga's promise, checked across the three services' databases for the given orders:
 * every order ended; confirmed ⇔ its stock committed and its payment captured once for its total;
 * failed or cancelled ⇔ nothing held and nothing charged; and for every SKU, the units on hand
 * are what was there before minus what confirmed orders took, with nothing left reserved and
 * nothing below zero. Every end-to-end test ends with it.
 */
export async function checkConsistency(
  platform: Platform,
  orderIds: readonly string[],
  stockBefore: Readonly<Record<string, number>>,
): Promise<ConsistencyReport> {
  const sql = <R>(service: 'order' | 'inventory' | 'payment', query: string) => platform.tb[service].orm.em.fork().execute<R[]>(query)
  const [orders, holds, lines, payments, transactions, stock] = await Promise.all([
    sql<OrderRow>('order', 'select id, status, total_amount from orders'),
    sql<HoldRow>('inventory', 'select order_id, status from order_holds'),
    sql<LineRow>('inventory', 'select order_id, sku, quantity, status from reservations'),
    sql<PaymentRow>('payment', 'select order_id, status, amount from payments'),
    sql<TransactionRow>(
      'payment',
      "select order_id, operation, count(*) as n from payment_transactions where outcome = 'SUCCEEDED' group by order_id, operation",
    ),
    sql<StockRow>('inventory', 'select sku, on_hand, reserved from stock'),
  ])
  const orderById = new Map(orders.map((o) => [o.id, o]))
  const holdOf = byOrder(holds)
  const paymentOf = byOrder(payments)
  const succeeded = new Map(transactions.map((r) => [`${r.order_id}/${r.operation}`, Number(r.n)]))
  const violations: string[] = []
  const statuses: Record<string, number> = {}

  for (const id of orderIds) {
    const order = orderById.get(id)
    if (!order) {
      violations.push(`order ${id} does not exist`)
      continue
    }
    statuses[order.status] = (statuses[order.status] ?? 0) + 1
    const hold = holdOf.get(id)?.status ?? 'none'
    const payment = paymentOf.get(id)
    const captures = succeeded.get(`${id}/CAPTURE`) ?? 0
    const refunds = succeeded.get(`${id}/REFUND`) ?? 0
    if (captures > 1) violations.push(`order ${id} was captured ${captures} times`)
    if (SUCCEEDED_ORDER.has(order.status)) {
      if (hold !== 'COMMITTED') violations.push(`order ${id} is ${order.status} but its stock is ${hold}`)
      if (payment?.status !== 'CAPTURED') violations.push(`order ${id} is ${order.status} but its payment is ${payment?.status ?? 'none'}`)
      else if (payment.amount !== order.total_amount) violations.push(`order ${id} totals ${order.total_amount} but ${payment.amount} was captured`)
    } else if (ENDED_ORDER.has(order.status)) {
      if (!NOTHING_HELD.has(hold) && hold !== 'none') violations.push(`order ${id} is ${order.status} but its stock is ${hold}`)
      if (payment && !NOTHING_CHARGED.has(payment.status)) violations.push(`order ${id} is ${order.status} but its payment is ${payment.status}`)
      if (captures !== refunds) violations.push(`order ${id} is ${order.status} but was captured ${captures} and refunded ${refunds} times`)
    } else {
      violations.push(`order ${id} has not ended: it is ${order.status}`)
    }
  }

  const checked = new Set(orderIds)
  const taken = new Map<string, number>()
  for (const line of lines) {
    if (!checked.has(line.order_id)) continue
    if (line.status === 'RESERVED') violations.push(`order ${line.order_id} still holds ${line.quantity} × ${line.sku}`)
    if (line.status === 'COMMITTED') taken.set(line.sku, (taken.get(line.sku) ?? 0) + line.quantity)
  }
  const stockOf = new Map(stock.map((s) => [s.sku, s]))
  for (const [sku, before] of Object.entries(stockBefore)) {
    const row = stockOf.get(sku)
    if (!row) {
      violations.push(`SKU ${sku} has no stock row`)
      continue
    }
    const expected = before - (taken.get(sku) ?? 0)
    if (row.on_hand !== expected) violations.push(`SKU ${sku} has ${row.on_hand} on hand; ${before} before minus ${taken.get(sku) ?? 0} taken is ${expected}`)
    if (row.reserved !== 0) violations.push(`SKU ${sku} still has ${row.reserved} reserved`)
    if (row.on_hand < 0 || row.reserved < 0 || row.on_hand < row.reserved) violations.push(`SKU ${sku} is below zero: ${row.on_hand} on hand, ${row.reserved} reserved`)
  }
  return { violations, statuses }
}
