import { metricOnce } from '@orderflow/http'
import { Counter, type Registry } from 'prom-client'

export const RESERVATION_OUTCOMES = ['reserved', 'rejected', 'committed', 'released', 'expired'] as const
export type ReservationOutcome = (typeof RESERVATION_OUTCOMES)[number]

export interface InventoryMetrics {
  /** Counts each order's reservation verdicts and their endings (repeats and duplicates excluded). */
  reservation(outcome: ReservationOutcome, count?: number): void
}

const NAME = 'inventory_reservations_total'

/** The service's metrics on `registry`; every consumer and worker of one process shares them. */
export function inventoryMetrics(registry: Registry): InventoryMetrics {
  const counter = metricOnce(registry, NAME, Counter, () => new Counter({ name: NAME, help: 'Order reservations by outcome', labelNames: ['outcome'], registers: [registry] }))
  return { reservation: (outcome, count = 1) => counter.inc({ outcome }, count) }
}
