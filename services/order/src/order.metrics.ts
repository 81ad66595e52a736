import { metricOnce } from '@orderflow/http'
import { Counter, Histogram, type Registry } from 'prom-client'

/** The two statements of order intake: claiming Idempotency-Keys and storing placed orders. */
export type IntakeWrite = 'claim' | 'store'

export interface OrderMetrics {
  /** One intake statement ran for `requests` requests (more than one while the database was busy). */
  intakeStatement(write: IntakeWrite, requests: number): void
  /** An order was stored and its saga started (a replayed request is not counted again). */
  placed(): void
}

const INTAKE = 'order_intake_statement_requests'
const PLACED = 'orders_placed_total'

/** The service's metrics on `registry`; registered once however often it is asked for. */
export function orderMetrics(registry: Registry): OrderMetrics {
  const histogram = metricOnce(
    registry,
    INTAKE,
    Histogram,
    () =>
      new Histogram({
        name: INTAKE,
        help: 'Requests one intake statement served: 1 while the database keeps up, more while it is busy',
        labelNames: ['write'],
        buckets: [1, 2, 4, 8, 16, 32, 64],
        registers: [registry],
      }),
  )
  // The rate of orders placed: POST /v1/orders answers 202 to an idempotent replay as well.
  const placed = metricOnce(registry, PLACED, Counter, () => new Counter({ name: PLACED, help: 'Orders placed (stored with their saga started)', registers: [registry] }))
  return { intakeStatement: (write, requests) => histogram.observe({ write }, requests), placed: () => placed.inc() }
}
