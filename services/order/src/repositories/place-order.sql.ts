import type { EntityManager } from '@mikro-orm/postgresql'
import type { KeyRef, StoredResponse } from '../idempotency/idempotency-store.js'
import type { PlacedOrder } from '../use-cases/place-order.js'

/**
 * Stores a placed order in one statement — the order, its items, its first timeline entry, its
 * event in the outbox and, for a keyed request, the response to replay — so it costs one round
 * trip instead of a transaction of six (begin, four inserts, commit). One statement is one
 * transaction: all of it is stored or none. The rows are the ones the entities describe; the
 * order's test reads them back through the ORM.
 */
export async function insertPlacedOrder(em: EntityManager, placed: PlacedOrder, keyed?: { ref: KeyRef; response: StoredResponse }): Promise<void> {
  const { order, event } = placed
  const items = order.items.map((item, position) => ({ position, sku: item.sku, quantity: item.quantity, unit_price: item.unitPrice }))
  const created = order.timeline[0]
  await em.execute(
    `with placed as (
       insert into orders (id, customer_id, email, currency, total_amount, status, shipping_address, created_by, created_at, updated_at, version)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::timestamptz, ?::timestamptz, 1)
       returning id),
     items as (
       insert into order_items (order_id, position, sku, quantity, unit_price)
       select placed.id, l.position, l.sku, l.quantity, l.unit_price
         from placed, jsonb_to_recordset(?::jsonb) as l(position smallint, sku text, quantity int, unit_price bigint)),
     timeline as (
       insert into order_timeline (order_id, type, at) select placed.id, ?, ?::timestamptz from placed),
     outboxed as (
       insert into outbox (id, subject, type, payload, headers) values (?, ?, ?, ?::jsonb, ?::jsonb)),
     keyed as (
       update idempotency_keys set state = 'DONE', response_body = ?::jsonb, response_location = ?
        where owner = ? and key = ?)
     select 1`,
    [
      order.id,
      order.customerId,
      order.email,
      order.currency,
      order.totalAmount,
      order.status,
      order.shippingAddress ? JSON.stringify(order.shippingAddress) : null,
      order.createdBy,
      order.createdAt.toISOString(),
      order.updatedAt.toISOString(),
      JSON.stringify(items),
      created?.type ?? 'CREATED',
      (created?.at ?? order.createdAt).toISOString(),
      event.id,
      event.subject,
      event.type,
      JSON.stringify(event.payload),
      JSON.stringify(event.headers),
      keyed ? JSON.stringify(keyed.response.body) : null,
      keyed?.response.location ?? null,
      keyed?.ref.owner ?? null,
      keyed?.ref.key ?? null,
    ],
  )
}
