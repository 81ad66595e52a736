import {
  isEventOf,
  OrderCancelled,
  OrderConfirmed,
  OrderFailed,
  ShipmentDelivered,
  ShipmentShipped,
  type CloudEvent,
} from '@orderflow/contracts'

export const NOTIFICATION_KINDS = ['ORDER_CONFIRMED', 'ORDER_FAILED', 'ORDER_CANCELLED', 'SHIPMENT_SHIPPED', 'SHIPMENT_DELIVERED'] as const
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number]

/**
 * PENDING until the SMTP server took it; FAILED after a refused attempt (it is retried); SENT is
 * final. LOGGED is final too: there was no SMTP server (`SMTP_URL` unset), so the mail was only
 * written to the log and nobody received it.
 */
export const NOTIFICATION_STATUSES = ['PENDING', 'SENT', 'LOGGED', 'FAILED'] as const
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number]

interface Parcel {
  carrier?: string
  trackingNumber?: string
}

/** What the customer is told, with the facts a template needs. */
export type Notice =
  | { kind: 'ORDER_CONFIRMED'; orderId: string }
  | { kind: 'ORDER_FAILED'; orderId: string; reason: string; message: string }
  | { kind: 'ORDER_CANCELLED'; orderId: string; reason?: string }
  | ({ kind: 'SHIPMENT_SHIPPED'; orderId: string } & Parcel)
  | ({ kind: 'SHIPMENT_DELIVERED'; orderId: string } & Parcel)

const parcel = (d: { carrier?: string; trackingNumber?: string }): Parcel => ({
  ...(d.carrier ? { carrier: d.carrier } : {}),
  ...(d.trackingNumber ? { trackingNumber: d.trackingNumber } : {}),
})

/**
 * The notice an event calls for, or `undefined` when the customer hears nothing of it (the
 * saga's steps, a refused cancel, picking, a cancelled shipment — the order's own cancellation
 * mail covers that).
 */
export function noticeOf(event: CloudEvent): Notice | undefined {
  if (isEventOf(OrderConfirmed, event)) return { kind: 'ORDER_CONFIRMED', orderId: event.data.orderId }
  if (isEventOf(OrderFailed, event)) {
    return { kind: 'ORDER_FAILED', orderId: event.data.orderId, reason: event.data.reason, message: event.data.message }
  }
  if (isEventOf(OrderCancelled, event)) {
    return { kind: 'ORDER_CANCELLED', orderId: event.data.orderId, ...(event.data.reason ? { reason: event.data.reason } : {}) }
  }
  if (isEventOf(ShipmentShipped, event)) return { kind: 'SHIPMENT_SHIPPED', orderId: event.data.orderId, ...parcel(event.data) }
  if (isEventOf(ShipmentDelivered, event)) return { kind: 'SHIPMENT_DELIVERED', orderId: event.data.orderId, ...parcel(event.data) }
  return undefined
}
