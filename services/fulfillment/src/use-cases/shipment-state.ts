import type { ShipmentStatus } from '../domain/shipment-status.js'
import type { StoredAddress, StoredLine } from '../entities/shipment.entity.js'

/** What a command decides on: a shipment as statement one loaded (and locked) it, or as this batch left it. */
export interface ShipmentState {
  readonly orderId: string
  readonly shipmentId: string
  readonly status: ShipmentStatus
}

/** A shipment a command creates. */
export interface NewShipment extends ShipmentState {
  /** Whose order it is, when the create command said (a cancel that came first does not). */
  readonly customerId: string | null
  readonly items: StoredLine[] | null
  readonly shippingAddress: StoredAddress | null
  readonly nextStepAt: Date | null
}

/** What a command changes on an existing shipment. */
export interface ShipmentChange {
  readonly status: ShipmentStatus
  readonly nextStepAt: Date | null
}
