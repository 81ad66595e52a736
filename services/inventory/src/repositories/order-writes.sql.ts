import { sql } from 'kysely'
import { jsonRows, type BatchTx, type OutboxRow } from '@orderflow/db'
import { StockInvariantError, type OrderBookChanges } from '../domain/order-book.js'

/**
 * A hold this batch meant to create was created meanwhile by a transaction that committed after
 * the batch's first statement took its snapshot (two commands for one new order at the same
 * moment: a release overtaking its reserve, a reserve sent twice). The batch decided as if the
 * order were new, so it must not commit: the error carries SQLSTATE 40001 (serialization
 * failure), which makes the batch transaction run again at once, from a fresh snapshot that sees
 * the hold and applies the command to it. It is rare: the two commands must meet within
 * milliseconds (measured: 4 to 8 re-runs when the reserves and releases of 40 new orders race
 * head-on in batches of 4, `test/races.test.ts`; commands for different orders never race).
 */
export class HoldCreatedConcurrentlyError extends Error {
  override readonly name = 'HoldCreatedConcurrentlyError'
  readonly code = '40001'
}

/**
 * Statement two of a command batch: every write in one statement — the new holds and their
 * lines, the settled holds and their lines, the stock counters and the outbox — its text the
 * same for any batch (the rows travel as JSON arrays). Every row it updates was locked by
 * statement one. New holds are inserted in order id order with ON CONFLICT DO NOTHING: a hold
 * another transaction created meanwhile (see `lockOrders`) waits for that transaction, then
 * inserts nothing, which the returned count reveals ({@link HoldCreatedConcurrentlyError}).
 * Stock moves by summed deltas, never to absolute values, so even a lock a bug forgot could not
 * turn into a lost update; the table's CHECK refuses any oversell the in-memory check missed.
 */
export async function writeOrders(tx: BatchTx, changes: OrderBookChanges, outbox: readonly OutboxRow[]): Promise<void> {
  const created = JSON.stringify(
    changes.created.map((h) => ({ order_id: h.orderId, status: h.status, rejection: h.rejection, expires_at: h.expiresAt })),
  )
  const lines = JSON.stringify(
    changes.created.flatMap((h) => h.lines.map((l) => ({ order_id: h.orderId, sku: l.sku, quantity: l.quantity, status: h.status, expires_at: h.expiresAt }))),
  )
  const settled = changes.settled.map((h) => ({ order_id: h.orderId, status: h.status, expires_at: h.expiresAt }))
  const deltas = changes.deltas.map((d) => ({ sku: d.sku, on_hand: d.onHand, reserved: d.reserved }))

  const { rows } = await sql<{ created: number; shifted: number }>`with ${tx.outbox(outbox)},
    created as (
      insert into order_holds (order_id, status, rejection, created_at, updated_at, expires_at)
      select h.order_id, h.status, h.rejection, now(), now(), h.expires_at
        from jsonb_to_recordset(${created}::jsonb) as h(order_id uuid, status text, rejection jsonb, expires_at timestamptz)
       order by h.order_id
      on conflict (order_id) do nothing
      returning order_id),
    created_lines as (
      insert into reservations (order_id, sku, quantity, status, created_at, expires_at)
      select l.order_id, l.sku, l.quantity, l.status, now(), l.expires_at
        from jsonb_to_recordset(${lines}::jsonb) as l(order_id uuid, sku text, quantity int, status text, expires_at timestamptz)
       order by l.order_id, l.sku collate "C"
      on conflict (order_id, sku) do nothing),
    settled as (
      update order_holds o set status = h.status, expires_at = h.expires_at, updated_at = now()
        from ${jsonRows(settled, 'order_id uuid, status text, expires_at timestamptz')} as h
       where o.order_id = h.order_id),
    settled_lines as (
      update reservations r set status = h.status
        from ${jsonRows(settled, 'order_id uuid, status text')} as h
       where r.order_id = h.order_id),
    shifted as (
      update stock s set on_hand = s.on_hand + d.on_hand, reserved = s.reserved + d.reserved, version = s.version + 1, updated_at = now()
        from ${jsonRows(deltas, 'sku text, on_hand int, reserved int')} as d
       where s.sku = d.sku
      returning s.sku)
    select (select count(*) from created)::int as created, (select count(*) from shifted)::int as shifted`.execute(tx.db)

  const written = rows[0] ?? { created: 0, shifted: 0 }
  if (written.created < changes.created.length) {
    throw new HoldCreatedConcurrentlyError(`${changes.created.length - written.created} of the batch's new orders got a hold from another transaction meanwhile`)
  }
  if (written.shifted < changes.deltas.length) throw new StockInvariantError('a locked stock row was not there to update')
}
