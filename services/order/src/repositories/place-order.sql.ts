import { sql, type RawBuilder } from 'kysely'
import type { SqlDb } from '@orderflow/db'
import type { KeyRef, StoredResponse } from '../idempotency/idempotency-store.js'
import type { PlacedOrder } from '../use-cases/place-order.js'

/** A placed order to store and, for a keyed request, the response its key will replay. */
export interface OrderToStore {
  placed: PlacedOrder
  keyed?: { ref: KeyRef; response: StoredResponse } | undefined
}

/**
 * Stores placed orders in one statement — each order, its items, its first timeline entries, its
 * saga, its messages in the outbox and, for a keyed request, the response to replay — so a batch
 * costs one round trip and one commit instead of a transaction of seven statements per order. One statement
 * is one transaction: all of it is stored or none. Each table's rows travel as one JSON array
 * that `jsonb_to_recordset` unpacks, so the statement's text is the same for any batch size. The
 * rows are the ones the entities describe; the order's tests read them back through the ORM.
 *
 * It goes through Kysely, the query layer under MikroORM, rather than `em.execute`: the arrays
 * travel as bind parameters instead of being escaped into the SQL text character by character,
 * which cost 3 % of the service's busy time in an intake benchmark.
 */
export async function insertPlacedOrders(db: SqlDb, batch: readonly OrderToStore[]): Promise<void> {
  await storePlacedOrders(batch).execute(db)
}

/** The statement {@link insertPlacedOrders} runs (its tests read its plan). */
export function storePlacedOrders(batch: readonly OrderToStore[]): RawBuilder<unknown> {
  const orders = batch.map(({ placed: { order } }) => ({
    id: order.id,
    customer_id: order.customerId,
    email: order.email,
    currency: order.currency,
    total_amount: order.totalAmount,
    status: order.status,
    failure_reason: order.failureReason ?? null,
    failure_message: order.failureMessage ?? null,
    shipping_address: order.shippingAddress,
    created_by: order.createdBy,
    created_at: order.createdAt.toISOString(),
    updated_at: order.updatedAt.toISOString(),
  }))
  const items = batch.flatMap(({ placed: { order } }) =>
    order.items.map((item, position) => ({ order_id: order.id, position, sku: item.sku, quantity: item.quantity, unit_price: item.unitPrice })),
  )
  const timeline = batch.flatMap(({ placed: { order } }) => order.timeline.map((e) => ({ order_id: order.id, type: e.type, at: e.at.toISOString(), detail: e.detail ?? null })))
  // The order's trace (what intake's messages carry), kept for the commands the deadline sweep re-sends.
  const sagas = batch.map(({ placed: { saga, order, outbox } }) => ({ ...saga, created_at: order.createdAt.toISOString(), trace_parent: outbox[0]?.headers.traceparent ?? null }))
  const events = batch.flatMap(({ placed: { outbox } }) => outbox.map((m) => ({ id: m.id, subject: m.subject, type: m.type, payload: m.payload, headers: m.headers })))
  const keys = batch.flatMap(({ keyed }) => (keyed ? [{ owner: keyed.ref.owner, key: keyed.ref.key, body: keyed.response.body, location: keyed.response.location }] : []))
  const json = (rows: readonly unknown[]) => JSON.stringify(rows)
  return sql`with placed as (
       insert into orders (id, customer_id, email, currency, total_amount, status, failure_reason, failure_message, shipping_address, created_by, created_at, updated_at, version)
       select o.id, o.customer_id, o.email, o.currency, o.total_amount, o.status, o.failure_reason, o.failure_message, o.shipping_address, o.created_by, o.created_at, o.updated_at, 1
         from jsonb_to_recordset(${json(orders)}::jsonb) as o(id uuid, customer_id text, email text, currency text, total_amount bigint, status text,
                                                failure_reason text, failure_message text, shipping_address jsonb, created_by text,
                                                created_at timestamptz, updated_at timestamptz)),
     items as (
       insert into order_items (order_id, position, sku, quantity, unit_price)
       select l.order_id, l.position, l.sku, l.quantity, l.unit_price
         from jsonb_to_recordset(${json(items)}::jsonb) as l(order_id uuid, position smallint, sku text, quantity int, unit_price bigint)),
     timeline as (
       insert into order_timeline (order_id, type, at, detail)
       select e.order_id, e.type, e.at, e.detail from jsonb_to_recordset(${json(timeline)}::jsonb) as e(order_id uuid, type text, at timestamptz, detail text)),
     sagas as (
       -- Beside its order, in the same statement: the saga exists exactly when the order does.
       insert into sagas (order_id, state, version, deadline_at, progress, payment_token, trace_parent, created_at, updated_at)
       select s.order_id, s.state, 1, s.deadline_at, s.progress, s.payment_token, s.trace_parent, s.created_at, s.created_at
         from jsonb_to_recordset(${json(sagas)}::jsonb) as s(order_id uuid, state text, deadline_at timestamptz, progress jsonb, payment_token text, trace_parent text, created_at timestamptz)),
     outboxed as (
       insert into outbox (id, subject, type, payload, headers)
       select m.id, m.subject, m.type, m.payload, m.headers
         from jsonb_to_recordset(${json(events)}::jsonb) as m(id uuid, subject text, type text, payload jsonb, headers jsonb)),
     keyed as (
       -- The LIMIT tells the planner how many keys there are: it guesses 100 rows for any
       -- jsonb_to_recordset, and against 100 look-ups a scan of the whole key table looked
       -- cheaper even with 20,000 keys in the table (in benchmarks at 12 orders/s, 1,900 to 3,700
       -- rows read per order). A batch holds 1 to 64 keys; each is one primary-key look-up.
       update idempotency_keys k set state = 'DONE', response_body = r.body, response_location = r.location
         from (select * from jsonb_to_recordset(${json(keys)}::jsonb) as r(owner text, key text, body jsonb, location text)
                limit ${keys.length}) r
        where k.owner = r.owner and k.key = r.key)
     select 1`
}
