/**
 * A shipment's life: picked, handed to a carrier, delivered — or stopped before it left.
 * PICKING and SHIPPED wait for a scheduled step; DELIVERED and CANCELLED are final.
 */
export const SHIPMENT_STATUSES = ['PICKING', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number]

/** The statuses the scheduler moves on by itself, so the ones with a `next_step_at`. */
export const SCHEDULED_STATUSES = ['PICKING', 'SHIPPED'] as const satisfies readonly ShipmentStatus[]

/** The status the scheduler moves a shipment to when its time has come, if any. */
export function nextStep(status: ShipmentStatus): 'SHIPPED' | 'DELIVERED' | undefined {
  if (status === 'PICKING') return 'SHIPPED'
  if (status === 'SHIPPED') return 'DELIVERED'
  return undefined
}

/** What a cancel command does to a shipment in `status`. */
export type CancelDecision = 'cancel' | 'already-cancelled' | 'refuse'

/** A shipment can be stopped only while it is being picked: once handed over, it is too late. */
export function cancelDecision(status: ShipmentStatus): CancelDecision {
  if (status === 'PICKING') return 'cancel'
  if (status === 'CANCELLED') return 'already-cancelled'
  return 'refuse'
}
