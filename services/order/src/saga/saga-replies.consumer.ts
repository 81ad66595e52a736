import {
  SkuPriced,
  ShipmentCancelled,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
  Streams,
  isEventOf,
  type CloudEvent,
  type DataOf,
} from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import { PermanentError, type Consumer, type ConsumerSpec } from '@orderflow/messaging'
import type { Logger } from 'pino'
import { fromRow } from './saga-row.js'
import { sagaInputOf } from './saga-input.js'
import { SagaChanges } from './saga-changes.js'
import type { SagaMetrics } from './saga.metrics.js'
import { lockSagas, writeSagas } from './saga.sql.js'
import { newestPerSku, writePriceLists } from '../catalog/price-lists.sql.js'
import { isNoChange, type SagaState, type SagaTimings, type Transition } from './saga.js'

// A saga step is one short transaction on a few rows: the first retries come quickly (a lock
// clears fast); what still fails (the database away) retries more slowly before it is
// dead-lettered.
const step = {
  ackWaitMs: 30_000,
  maxDeliver: 8,
  backoffMs: [250, 1_000, 5_000, 15_000, 30_000],
  maxAckPending: 512,
} as const

// nats-server 2.9 allows one filter subject per consumer: one consumer per participant.
export const inventoryReplies: ConsumerSpec = {
  ...step,
  stream: Streams.INVENTORY.name,
  durable: 'order-inventory',
  filterSubjects: ['inventory.evt.>'],
  description: "Stock reserved, rejected, committed, released: moves the order's saga; SKU priced: the price lists intake reads",
}

export const paymentReplies: ConsumerSpec = {
  ...step,
  stream: Streams.PAYMENTS.name,
  durable: 'order-payments',
  filterSubjects: ['payment.evt.>'],
  description: "Payment authorized, declined, captured, voided, refunded: moves the order's saga",
}

export const fulfillmentReplies: ConsumerSpec = {
  ...step,
  stream: Streams.FULFILLMENT.name,
  durable: 'order-fulfillment',
  filterSubjects: ['fulfillment.evt.>'],
  description: "Shipment picking, shipped, delivered, cancelled or refused: moves the order's saga and timeline",
}

export const sagaReplySpecs = [inventoryReplies, paymentReplies, fulfillmentReplies]

export interface SagaRepliesDeps {
  readonly timings: SagaTimings
  readonly metrics: SagaMetrics
  readonly logger: Logger
}

/** What a shipment event adds to the order's timeline besides what it does to the saga. */
function shipmentNote(event: CloudEvent): string | undefined {
  if (isEventOf(ShipmentPicking, event)) return 'PICKING'
  if (isEventOf(ShipmentShipped, event)) return 'SHIPPED'
  if (isEventOf(ShipmentDelivered, event)) return 'DELIVERED'
  if (isEventOf(ShipmentCancelled, event)) return 'SHIPMENT_CANCELLED'
  return undefined
}

// Picking is news only until the goods have left (or the shipment was stopped).
const PICKING_STATES: ReadonlySet<SagaState> = new Set(['CONFIRMED', 'CANCELLING'])

/**
 * Whether a shipment event's timeline entry is news: picking while the shipment is under way,
 * the others only when they moved the saga. A late or repeated one (a new event id for the same
 * fact) leaves the timeline as it is, as it leaves the saga.
 */
function noteApplies(note: string, moved: Transition | undefined, state: SagaState | undefined): boolean {
  if (note === 'PICKING') return state !== undefined && PICKING_STATES.has(state)
  return moved !== undefined && !isNoChange(moved)
}

/** The trace id of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), if the event carried one. */
function traceIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(headers.traceparent ?? '')?.[1]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The order an event is about: its subject, as the database spells it (lower case). A subject
 * that is no order id can never name a saga: dead-letter it at once rather than let the uuid
 * cast of statement one fail the batch until its deliveries run out.
 */
function orderIdOf(event: CloudEvent): string {
  if (!UUID.test(event.subject)) throw new PermanentError(`event ${event.type} has subject ${JSON.stringify(event.subject)}, which is not an order id`)
  return event.subject.toLowerCase()
}

/**
 * A participant's replies to the order's saga: statement one records the batch in the inbox and
 * locks its orders with their sagas (in id order); each new event then moves its saga in memory,
 * in delivery order; statement two writes the sagas, the orders' status and timeline, and the
 * next commands, which are published as soon as it commits.
 */
export function sagaReplies(spec: ConsumerSpec, deps: SagaRepliesDeps): Consumer<CloudEvent, BatchTx> {
  const logger = deps.logger.child({ consumer: spec.durable })
  return {
    spec,
    accepts: (event): event is CloudEvent => sagaInputOf(event) !== undefined || shipmentNote(event) !== undefined || isEventOf(SkuPriced, event),
    async handle(all, tx) {
      // Price lists share the inventory's stream (one filter subject per consumer on NATS 2.9):
      // they are kept aside and written by a statement of their own, only when a batch has any.
      const priced: Array<{ id: string; list: DataOf<typeof SkuPriced> }> = []
      const batch: Array<(typeof all)[number]> = []
      for (const d of all) {
        if (isEventOf(SkuPriced, d.event)) priced.push({ id: d.event.id, list: d.event.data })
        else batch.push(d)
      }
      const orderIds = [...new Set(batch.map((d) => orderIdOf(d.event)))].sort()
      const { isNew, rows } = await tx.claim(lockSagas(orderIds))
      const lists = priced.filter((p) => isNew(p.id)).map((p) => p.list)
      if (lists.length > 0) await writePriceLists(newestPerSku(lists)).execute(tx.db)
      const changes = new SagaChanges(rows.map(fromRow))
      const clock = { now: new Date(), ...deps.timings }
      // Each order's trace, for its outcome's log line: in a batch of several, no one span is active.
      const traceIds = new Map<string, string>()
      for (const delivery of batch) {
        // `traceContext` is a method of the runner's delivery: call it on the delivery, not detached.
        const { event } = delivery
        if (!isNew(event.id)) continue
        const orderId = orderIdOf(event)
        if (!changes.has(orderId)) throw new PermanentError(`event ${event.type} names order ${event.subject}, which has no saga`)
        const input = sagaInputOf(event)
        const mark = changes.timelineMark()
        const traceContext = delivery.traceContext()
        const traceId = traceIdOf(traceContext)
        if (traceId) traceIds.set(orderId, traceId)
        const moved = input ? changes.apply(orderId, input, clock, { event, traceContext }) : undefined
        const note = shipmentNote(event)
        // The shipment's news first, then what the saga did about it (a cancellation's compensation).
        if (note && noteApplies(note, moved, changes.saga(orderId)?.state)) changes.note(orderId, note, new Date(event.time), null, event.id, mark)
      }
      const writes = changes.writes()
      if (writes.sagas.length + writes.timeline.length + writes.outbox.length === 0) return
      await writeSagas(tx.outbox(writes.outbox), writes).execute(tx.db)
      tx.onCommit(() => {
        deps.metrics.stateExits(writes.stateExits)
        for (const outcome of writes.outcomes) {
          deps.metrics.record(outcome)
          const traceId = traceIds.get(outcome.orderId)
          logger.info(
            { order_id: outcome.orderId, outcome: outcome.outcome, reason: outcome.failureReason ?? undefined, ...(traceId ? { trace_id: traceId } : {}) },
            'saga reached an outcome',
          )
        }
      })
    },
  }
}
