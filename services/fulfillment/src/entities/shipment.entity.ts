import { defineEntity, p, type InferEntity } from '@mikro-orm/core'
import { SHIPMENT_STATUSES } from '../domain/shipment-status.js'

/** One order line as the create command carried it. */
export interface StoredLine {
  sku: string
  quantity: number
  unitPrice: number
}

/** The address as the order gave it; kept as one JSON value, never queried into. */
export interface StoredAddress {
  name: string
  line1: string
  line2?: string
  city: string
  postalCode: string
  country: string
}

/**
 * One order's shipment. The order id is the key: an order ships at most once, and a cancel that
 * overtakes its create leaves a CANCELLED row (without items) that the late create finds.
 */
export const Shipment = defineEntity({
  name: 'Shipment',
  tableName: 'shipments',
  properties: {
    orderId: p.uuid().primary(),
    shipmentId: p.uuid().unique(),
    /**
     * Whose order it is, from CreateShipment, so that the customer's token reads it; null for a
     * cancel that came first or a command that predates the field (then staff alone read it).
     */
    customerId: p.string().length(100).nullable(),
    status: p.enum(SHIPMENT_STATUSES),
    carrier: p.string().length(100).nullable(),
    trackingNumber: p.string().length(100).nullable(),
    /** Null only for a cancel that arrived before the create. */
    items: p.json<StoredLine[]>().nullable(),
    shippingAddress: p.json<StoredAddress>().nullable(),
    /** When the scheduler takes the next step; null once the shipment is DELIVERED or CANCELLED. */
    nextStepAt: p.datetime().nullable(),
    /**
     * The trace of the order that created the shipment (`traceparent`…), so the scheduler's later
     * steps continue it; null for rows written before it was kept.
     */
    traceContext: p.json<Record<string, string>>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    /** Optimistic lock, a second guard behind the row locks every writer takes. */
    version: p.integer().version(),
  },
  // What the scheduler scans: due shipments by time. Partial, so it holds only those in progress.
  indexes: [{ name: 'shipments_due_idx', properties: ['nextStepAt'], where: 'next_step_at is not null' }],
  checks: [
    // A shipment in progress always has its next step scheduled, and a finished one never does:
    // a row the scheduler would skip for ever (or advance past the end) cannot be written.
    { name: 'shipments_schedule_check', expression: `(next_step_at is not null) = (status in ('PICKING', 'SHIPPED'))` },
    { name: 'shipments_consignment_check', expression: `(tracking_number is null) = (status in ('PICKING', 'CANCELLED'))` },
  ],
})

export type IShipment = InferEntity<typeof Shipment>
