/**
 * @orderflow/contracts — what crosses a service boundary: the CloudEvents envelope, every event
 * and command of the platform as TypeBox schemas with versioned types, and the stream names.
 * The only code the services share about each other.
 */
export { CloudEventEnvelope, EVENT_CONTENT_TYPE, defineMessage } from './envelope.js'
export type { CloudEvent, DataOf, MessageDefinition } from './envelope.js'
export { Streams } from './streams.js'
export type { StreamKey, StreamName } from './streams.js'
export { catalog, findDefinition, checkEvent, assertEvent, isEventOf, ContractViolationError } from './catalog.js'
export type { EventCheck, ValidationIssue } from './catalog.js'
export { makeEvent } from './make-event.js'
export type { NewEvent } from './make-event.js'
export { CURRENCY_CODES, Currency, CustomerId, MAX_MINOR_UNITS, MinorUnits, OrderId, OrderLine, Sku } from './events/common.js'
export {
  ORDER_FAILURE_REASONS,
  ORDER_SAGA_SUBJECTS,
  OrderCancelRefused,
  OrderCancelled,
  OrderConfirmed,
  OrderCreated,
  OrderFailed,
  OrderFailureReason,
  OrderProgressed,
  PaymentDetails,
  SAGA_STEPS,
  ShippingAddress,
} from './events/order.events.js'
export {
  CommitStock,
  ReleaseStock,
  ReserveStock,
  SkuPrice,
  SkuPriced,
  StockCommitted,
  StockRejected,
  StockReleased,
  StockReserved,
} from './events/inventory.events.js'
export {
  AuthorizePayment,
  CapturePayment,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentVoided,
  RefundPayment,
  VoidPayment,
} from './events/payment.events.js'
export {
  CancelShipment,
  CreateShipment,
  ShipmentCancelled,
  ShipmentCancelRefused,
  ShipmentDelivered,
  ShipmentPicking,
  ShipmentShipped,
} from './events/fulfillment.events.js'
