import { metricOnce } from '@orderflow/http'
import { Histogram, type Registry } from 'prom-client'

/** The two statements of order intake: claiming Idempotency-Keys and storing placed orders. */
export type IntakeWrite = 'claim' | 'store'

export interface OrderMetrics {
  /** One intake statement ran for `requests` requests (more than one while the database was busy). */
  intakeStatement(write: IntakeWrite, requests: number): void
}

const NAME = 'order_intake_statement_requests'

/** The service's metrics on `registry`; registered once however often it is asked for. */
export function orderMetrics(registry: Registry): OrderMetrics {
  const histogram = metricOnce(
    registry,
    NAME,
    Histogram,
    () =>
      new Histogram({
        name: NAME,
        help: 'Requests one intake statement served: 1 while the database keeps up, more while it is busy',
        labelNames: ['write'],
        buckets: [1, 2, 4, 8, 16, 32, 64],
        registers: [registry],
      }),
  )
  return { intakeStatement: (write, requests) => histogram.observe({ write }, requests) }
}
