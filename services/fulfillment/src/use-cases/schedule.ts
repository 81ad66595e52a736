/** The simulated durations of a shipment's steps. */
export interface ShipmentSchedule {
  /** From PICKING to SHIPPED. */
  readonly shipAfterMs: number
  /** From SHIPPED to DELIVERED. */
  readonly deliverAfterMs: number
}

export const after = (from: Date, ms: number): Date => new Date(from.getTime() + ms)
