import {
  isEventOf,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentVoided,
  ShipmentCancelled,
  ShipmentCancelRefused,
  ShipmentDelivered,
  ShipmentShipped,
  StockCommitted,
  StockRejected,
  StockReleased,
  StockReserved,
  type CloudEvent,
  type DataOf,
} from '@orderflow/contracts'

/** Something that moves an existing saga: an event from a participant, a cancel, or its deadline. */
export type SagaInput =
  | { readonly kind: 'reserved' }
  | { readonly kind: 'rejected'; readonly rejection: DataOf<typeof StockRejected> }
  | { readonly kind: 'released' }
  | { readonly kind: 'committed' }
  | { readonly kind: 'authorized' }
  | { readonly kind: 'declined'; readonly reason: DataOf<typeof PaymentDeclined>['reason']; readonly message: string }
  | { readonly kind: 'captured' }
  | { readonly kind: 'voided' }
  | { readonly kind: 'refunded' }
  | { readonly kind: 'shipped' }
  | { readonly kind: 'delivered' }
  | { readonly kind: 'shipment-cancelled' }
  | { readonly kind: 'shipment-cancel-refused' }
  | { readonly kind: 'cancel-requested'; readonly reason?: string | undefined }
  | { readonly kind: 'deadline' }

export type SagaInputKind = SagaInput['kind']

/**
 * The input a participant's event means for the saga, or `undefined` for an event the saga does
 * not act on (ShipmentPicking, say). A cancel comes from the order's own API, not as an event.
 */
export function sagaInputOf(event: CloudEvent): SagaInput | undefined {
  if (isEventOf(StockReserved, event)) return { kind: 'reserved' }
  if (isEventOf(StockRejected, event)) return { kind: 'rejected', rejection: event.data }
  if (isEventOf(StockReleased, event)) return { kind: 'released' }
  if (isEventOf(StockCommitted, event)) return { kind: 'committed' }
  if (isEventOf(PaymentAuthorized, event)) return { kind: 'authorized' }
  if (isEventOf(PaymentDeclined, event)) return { kind: 'declined', reason: event.data.reason, message: event.data.message }
  if (isEventOf(PaymentCaptured, event)) return { kind: 'captured' }
  if (isEventOf(PaymentVoided, event)) return { kind: 'voided' }
  if (isEventOf(PaymentRefunded, event)) return { kind: 'refunded' }
  if (isEventOf(ShipmentShipped, event)) return { kind: 'shipped' }
  if (isEventOf(ShipmentDelivered, event)) return { kind: 'delivered' }
  if (isEventOf(ShipmentCancelled, event)) return { kind: 'shipment-cancelled' }
  if (isEventOf(ShipmentCancelRefused, event)) return { kind: 'shipment-cancel-refused' }
  return undefined
}
