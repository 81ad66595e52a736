import { jsonRows } from '@orderflow/db'
import { sql, type RawBuilder } from 'kysely'
import type { SagaWrites } from './saga-changes.js'
import type { SagaRow } from './saga-row.js'

// The columns statement one reads of an order and its saga; the items travel as one JSON array.
const columns = sql`o.id, o.status, o.customer_id, o.email, o.currency, o.total_amount, o.shipping_address,
       s.state, s.deadline_at, s.progress, s.payment_token, s.trace_parent, s.created_at, s.state_since,
       (select coalesce(json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price) order by i.position), '[]'::json)
          from order_items i where i.order_id = o.id) as items`

/**
 * Reads and locks orders with their sagas, in order id order: every writer of an order (the
 * reply consumers, the cancel route) locks that way, so two transactions cannot deadlock; the
 * deadline sweep skips what is locked instead of waiting.
 */
export function lockSagas(orderIds: readonly string[]): RawBuilder<SagaRow> {
  return sql<SagaRow>`select ${columns}
      from orders o join sagas s on s.order_id = o.id
     where o.id = any(${[...orderIds]}::uuid[])
     order by o.id
     for update of o, s`
}

/**
 * Claims up to `limit` sagas whose deadline has passed, oldest deadline first. SKIP LOCKED: a saga
 * a consumer or another replica's sweep holds is passed by now and found by a later sweep, so each
 * overdue saga is acted on by one transaction only.
 */
export function claimDueSagas(limit: number): RawBuilder<SagaRow> {
  return sql<SagaRow>`select ${columns}
      from sagas s join orders o on o.id = s.order_id
     where s.deadline_at <= now()
     order by s.deadline_at
     limit ${limit}
     for update of o, s skip locked`
}

/**
 * Statement two: the moved sagas, the orders whose status changed, the new timeline entries and
 * (in `outboxed`, from `BatchTx.outbox`) the messages to publish — one statement whatever the
 * batch size, each table's rows one JSON array.
 */
export function writeSagas(outboxed: RawBuilder<unknown>, w: SagaWrites): RawBuilder<unknown> {
  const json = (rows: readonly unknown[]) => JSON.stringify(rows)
  return sql`with ${outboxed},
     sagas_written as (
       update sagas s
          set state = r.state, deadline_at = r.deadline_at, payment_token = r.payment_token, progress = r.progress,
              version = s.version + 1, updated_at = now(),
              state_since = case when s.state = r.state then s.state_since else now() end
         from ${jsonRows(w.sagas, 'order_id uuid, state text, deadline_at timestamptz, payment_token text, progress jsonb')} as r
        where s.order_id = r.order_id),
     orders_written as (
       update orders o
          set status = r.status, failure_reason = r.failure_reason, failure_message = r.failure_message,
              version = o.version + 1, updated_at = now()
         from ${jsonRows(w.orders, 'id uuid, status text, failure_reason text, failure_message text')} as r
        where o.id = r.id),
     timeline_written as (
       insert into order_timeline (order_id, type, at, detail, event_id)
       select e.order_id, e.type, e.at, e.detail, e.event_id
         from jsonb_to_recordset(${json(w.timeline)}::jsonb) as e(order_id uuid, type text, at timestamptz, detail text, event_id uuid))
     select 1`
}
