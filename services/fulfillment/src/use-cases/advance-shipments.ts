import { sql } from 'kysely'
import { EVENT_CONTENT_TYPE, ShipmentDelivered, ShipmentShipped } from '@orderflow/contracts'
import type { OutboxPublisher, OutboxRow, SqlDb } from '@orderflow/db'
import { CARRIERS } from '../domain/consignment.js'
import { EVENT_SOURCE } from '../service-info.js'
import { after, type ShipmentSchedule } from './schedule.js'

/** Where the scheduler writes and publishes: the service's database and its outbox publisher. */
export interface SchedulerDeps {
  readonly db: SqlDb
  readonly outbox: Pick<OutboxPublisher, 'publishCommitted'>
}

/**
 * Claims up to `batchSize` shipments whose next step is due, takes that step for each and puts
 * its event in the outbox — all in ONE statement (so one implicit transaction) — then publishes
 * those events right after that commit; returns how many shipments it advanced.
 *
 * `FOR UPDATE SKIP LOCKED` lets several replicas run this at once: each claims rows the others
 * do not hold, so no shipment is advanced twice, and a row a cancel holds is skipped this round
 * instead of waited for. Nothing lives in memory between rounds: a due row stays due until a
 * round commits its step, so a restart loses nothing.
 */
export async function advanceDueShipments(deps: SchedulerDeps, schedule: ShipmentSchedule, batchSize: number, now = new Date()): Promise<number> {
  const { rows } = await advanceStatement(schedule, batchSize, now).execute(deps.db)
  deps.outbox.publishCommitted(rows)
  return rows.length
}

/**
 * PICKING → SHIPPED (handed to a carrier, delivery scheduled `deliverAfterMs` later) and
 * SHIPPED → DELIVERED (nothing more scheduled), each with its `fulfillment.shipped` /
 * `.delivered` event, returned as the outbox rows written.
 *
 * The events are made here in SQL, not by `makeEvent`, so that the claim, the step and the event
 * are one statement; the scheduler's integration test checks each against its contract. The
 * carrier and tracking number are `consign()` of `domain/consignment.ts` in SQL — derived from
 * the shipment id, so a retried step names the same parcel; the same test holds the two equal.
 * Each event continues the trace stored with its shipment, so one order's steps share a trace.
 */
function advanceStatement(schedule: ShipmentSchedule, batchSize: number, now: Date) {
  const time = now.toISOString()
  return sql<OutboxRow>`with due as (
      select order_id, hex, (${[...CARRIERS]}::text[])[1 + ('x' || left(hex, 8))::bit(32)::bigint % ${CARRIERS.length}] as carrier
        from (select order_id, replace(shipment_id::text, '-', '') as hex from shipments
               where next_step_at <= ${time}::timestamptz
               order by next_step_at
               limit ${batchSize}
                 for update skip locked) claimed),
    advanced as (
      update shipments s
         set status = case s.status when 'PICKING' then 'SHIPPED' else 'DELIVERED' end,
             carrier = case s.status when 'PICKING' then d.carrier else s.carrier end,
             tracking_number = case s.status
               when 'PICKING' then d.carrier || lpad((('x' || right(d.hex, 12))::bit(48)::bigint)::text, 15, '0')
               else s.tracking_number end,
             next_step_at = case s.status when 'PICKING' then ${after(now, schedule.deliverAfterMs).toISOString()}::timestamptz end,
             updated_at = ${time}::timestamptz,
             version = s.version + 1
        from due d
       where s.order_id = d.order_id
      returning s.order_id, s.shipment_id, s.status, s.carrier, s.tracking_number, s.trace_context),
    events as materialized (
      select gen_random_uuid() as id,
             case a.status when 'SHIPPED' then ${ShipmentShipped.subject} else ${ShipmentDelivered.subject} end as subject,
             case a.status when 'SHIPPED' then ${ShipmentShipped.type} else ${ShipmentDelivered.type} end as type,
             a.*
        from advanced a),
    outboxed as (
      insert into outbox (id, subject, type, payload, headers)
      select e.id, e.subject, e.type,
             jsonb_build_object(
               'specversion', '1.0', 'id', e.id, 'source', ${EVENT_SOURCE}::text, 'type', e.type, 'subject', e.order_id,
               'time', ${time}::text, 'datacontenttype', ${EVENT_CONTENT_TYPE}::text,
               'data', jsonb_strip_nulls(jsonb_build_object(
                 'orderId', e.order_id, 'shipmentId', e.shipment_id, 'carrier', e.carrier, 'trackingNumber', e.tracking_number))),
             coalesce(e.trace_context, '{}'::jsonb)
        from events e
      returning id, subject, type, payload, headers)
    select id, subject, type, payload, headers from outboxed`
}
