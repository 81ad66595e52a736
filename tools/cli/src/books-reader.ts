import pg from 'pg'
import type { Books } from './books.js'

/** Connection URLs of the three databases whose books must agree. */
export interface BooksDatabases {
  order: string
  inventory: string
  payment: string
}

/** Which orders to read: those created since a moment, optionally only some customers', or named ones. */
export interface BooksSelection {
  since?: Date
  /** Only orders whose customer id starts with this (the benchmark's are `bench-customer-`). */
  customerPrefix?: string
  orderIds?: readonly string[]
}

/**
 * Reads the books of the selected orders. The orders are read first: an order ends only after
 * the inventory and payment sides have, so what those say afterwards is at least as far along.
 * Each SKU's stock and the lines it reserves are read by one statement, in one snapshot.
 */
export async function readBooks(urls: BooksDatabases, selection: BooksSelection): Promise<Books> {
  const clients = [urls.order, urls.inventory, urls.payment].map((connectionString) => new pg.Client({ connectionString, application_name: 'orderflow-books' }))
  const [order, inventory, payment] = clients as [pg.Client, pg.Client, pg.Client]
  // A connection lost mid-read rejects the query in progress, which is the error reported; the
  // event itself must not end the process (the chaos run reads the books while faults are about).
  for (const c of clients) c.on('error', () => {})
  try {
    // All settled before any error is thrown, so the `finally` ends the ones that did connect.
    const connected = await Promise.allSettled(clients.map((c) => c.connect()))
    for (const outcome of connected) if (outcome.status === 'rejected') throw outcome.reason
    const orders = await order.query<{ id: string; status: string; total_amount: string }>(
      `select id, status, total_amount from orders
        where ($1::timestamptz is null or created_at >= $1)
          and ($2::text is null or starts_with(customer_id, $2))
          and ($3::uuid[] is null or id = any($3))`,
      [selection.since ?? null, selection.customerPrefix ?? null, selection.orderIds ?? null],
    )
    const ids = orders.rows.map((o) => o.id)
    // One client runs one query at a time: each database's queries in turn, the two databases at once.
    const inventorySide = async () => {
      const holds = await inventory.query<{ order_id: string; status: string }>('select order_id, status from order_holds where order_id = any($1::uuid[])', [ids])
      const lines = await inventory.query<{ order_id: string; sku: string; quantity: number; status: string }>(
        'select order_id, sku, quantity, status from reservations where order_id = any($1::uuid[])',
        [ids],
      )
      const stock = await inventory.query<{ sku: string; on_hand: number; reserved: number; held: number }>(
        `select s.sku, s.on_hand, s.reserved, coalesce(r.held, 0)::int as held
           from stock s
           left join (select sku, sum(quantity) as held from reservations where status = 'RESERVED' group by sku) r using (sku)`,
      )
      return { holds, lines, stock }
    }
    const paymentSide = async () => {
      const payments = await payment.query<{ order_id: string; status: string; amount: string | null }>(
        'select order_id, status, amount from payments where order_id = any($1::uuid[])',
        [ids],
      )
      const operations = await payment.query<{ order_id: string; operation: string; n: number }>(
        `select order_id, operation, count(*)::int as n from payment_transactions
          where outcome = 'SUCCEEDED' and order_id = any($1::uuid[]) group by order_id, operation`,
        [ids],
      )
      return { payments, operations }
    }
    const [{ holds, lines, stock }, { payments, operations }] = await Promise.all([inventorySide(), paymentSide()])
    return {
      orders: orders.rows.map((o) => ({ id: o.id, status: o.status, totalAmount: o.total_amount })),
      holds: holds.rows.map((h) => ({ orderId: h.order_id, status: h.status })),
      lines: lines.rows.map((l) => ({ orderId: l.order_id, sku: l.sku, quantity: l.quantity, status: l.status })),
      payments: payments.rows.map((p) => ({ orderId: p.order_id, status: p.status, amount: p.amount })),
      operations: operations.rows.map((r) => ({ orderId: r.order_id, operation: r.operation, succeeded: r.n })),
      stock: stock.rows.map((s) => ({ sku: s.sku, onHand: s.on_hand, reserved: s.reserved, heldByLines: s.held })),
    }
  } finally {
    await Promise.allSettled(clients.map((c) => c.end()))
  }
}
