import { sql, type RawBuilder } from 'kysely'
import type { DataOf, OrderCreated } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { NewNotification } from './record-notification.js'

// The consumers' statements. Their text does not depend on the batch: keys and rows travel as
// one array or one JSON document each.

/** Statement one's load for the mail consumers: the orders' recipients (written once, never changed: nothing to lock). */
export function loadRecipients(orderIds: readonly string[]): RawBuilder<{ orderId: string; email: string }> {
  return sql<{ orderId: string; email: string }>`select order_id as "orderId", email from recipients where order_id = any(${[...orderIds]}::uuid[])`
}

/**
 * Statement two of the mail consumers: the new notifications, PENDING and due at once for the
 * mail sender; and `rearm` — the events of the batch whose notification the sender gave up on
 * (a replay of the event asks for it again) are made due again.
 */
export async function recordNotifications(tx: BatchTx, fresh: readonly NewNotification[], rearm: readonly string[], now: Date): Promise<void> {
  const at = now.toISOString()
  const rows = JSON.stringify(
    fresh.map((n) => ({
      id: n.id,
      event_id: n.eventId,
      order_id: n.orderId,
      kind: n.kind,
      recipient: n.recipient,
      subject: n.subject,
      body: n.body,
      html: n.html,
      trace_context: n.traceContext,
    })),
  )
  await sql`with inserted as (
        insert into notifications (id, event_id, order_id, kind, recipient, subject, body, html, trace_context, status, attempts, next_attempt_at, created_at, updated_at)
        select r.id, r.event_id, r.order_id, r.kind, r.recipient, r.subject, r.body, r.html, r.trace_context, 'PENDING', 0, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
          from jsonb_to_recordset(${rows}::jsonb)
            as r(id uuid, event_id uuid, order_id uuid, kind text, recipient text, subject text, body text, html text, trace_context jsonb)
        on conflict (event_id) do nothing),
      rearmed as (
        update notifications set next_attempt_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
         where event_id = any(${[...rearm]}::uuid[]) and status not in ('SENT', 'LOGGED') and next_attempt_at is null)
    select 1`.execute(tx.db)
}

/** Statement two of the recipient consumer: the recipients not known yet; returns the orders it added. */
export async function rememberRecipients(tx: BatchTx, orders: readonly DataOf<typeof OrderCreated>[], now: Date): Promise<Set<string>> {
  const rows = JSON.stringify(orders.map((o) => ({ order_id: o.orderId, customer_id: o.customerId, email: o.email })))
  const { rows: added } = await sql<{ orderId: string }>`insert into recipients (order_id, customer_id, email, created_at)
      select r.order_id, r.customer_id, r.email, ${now.toISOString()}::timestamptz
        from jsonb_to_recordset(${rows}::jsonb) as r(order_id uuid, customer_id text, email text)
      on conflict (order_id) do nothing
      returning order_id as "orderId"`.execute(tx.db)
  return new Set(added.map((r) => r.orderId))
}
