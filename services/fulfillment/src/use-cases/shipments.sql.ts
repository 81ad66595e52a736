import { sql, type RawBuilder } from 'kysely'
import { jsonRows, type BatchTx, type OutboxRow } from '@orderflow/db'
import type { NewShipment, ShipmentChange, ShipmentState } from './shipment-state.js'

// The command consumers' two statements. Their text does not depend on the batch: the keys and
// rows travel as one array or one JSON document each.

/**
 * Statement one's load (run by `BatchTx.claim` with the inbox insert): the orders' shipments,
 * locked in order id order — the one order every writer of `shipments` locks in, so two
 * batches cannot deadlock. The scheduler skips what this holds rather than wait for it.
 */
export function lockShipments(orderIds: readonly string[]): RawBuilder<ShipmentState> {
  return sql<ShipmentState>`select order_id as "orderId", shipment_id as "shipmentId", status
      from shipments where order_id = any(${[...orderIds]}::uuid[])
     order by order_id
       for update`
}

/** A shipment to insert, with the trace its later steps continue. */
export interface ShipmentInsert extends NewShipment {
  readonly traceContext: Readonly<Record<string, string>>
}

/** A change to a shipment statement one locked. */
export interface ShipmentUpdate extends ShipmentChange {
  readonly orderId: string
}

export interface ShipmentWrites {
  readonly inserts: readonly ShipmentInsert[]
  readonly updates: readonly ShipmentUpdate[]
  readonly outbox: readonly OutboxRow[]
}

/**
 * Statement two: the new shipments, the changed ones and the outbox rows, in one statement.
 * An insert that meets a shipment another transaction committed meanwhile (a create and a
 * cancel for an order that had none, racing) fails on the primary key: the batch rolls back
 * and its events are handled again, one by one, and then find that shipment.
 */
export async function writeShipments(tx: BatchTx, writes: ShipmentWrites, now: Date): Promise<void> {
  const at = now.toISOString()
  const inserts = JSON.stringify(
    writes.inserts.map((s) => ({
      order_id: s.orderId,
      customer_id: s.customerId,
      shipment_id: s.shipmentId,
      status: s.status,
      items: s.items,
      shipping_address: s.shippingAddress,
      next_step_at: s.nextStepAt?.toISOString() ?? null,
      trace_context: s.traceContext,
    })),
  )
  const updates = writes.updates.map((u) => ({ order_id: u.orderId, status: u.status, next_step_at: u.nextStepAt?.toISOString() ?? null }))
  await sql`with ${tx.outbox(writes.outbox)},
      inserted as (
        insert into shipments (order_id, customer_id, shipment_id, status, items, shipping_address, next_step_at, trace_context, created_at, updated_at)
        select r.order_id, r.customer_id, r.shipment_id, r.status, r.items, r.shipping_address, r.next_step_at, r.trace_context, ${at}::timestamptz, ${at}::timestamptz
          from jsonb_to_recordset(${inserts}::jsonb)
            as r(order_id uuid, customer_id varchar(100), shipment_id uuid, status text, items jsonb, shipping_address jsonb, next_step_at timestamptz, trace_context jsonb)),
      updated as (
        update shipments s
           set status = r.status, next_step_at = r.next_step_at, updated_at = ${at}::timestamptz, version = s.version + 1
          from ${jsonRows(updates, 'order_id uuid, status text, next_step_at timestamptz')} as r
         where s.order_id = r.order_id)
    select 1`.execute(tx.db)
}
