import { Gauge, Histogram, type Registry } from 'prom-client'
import type { ProviderOperation } from './payment-provider.js'

/** How one provider attempt ended, as the duration histogram labels it. */
export type CallOutcome = 'succeeded' | 'declined' | 'unavailable' | 'timeout' | 'rejected' | 'circuit_open' | 'error'

export interface ProviderMetrics {
  observe(operation: ProviderOperation, outcome: CallOutcome, seconds: number): void
}

/**
 * `payment_provider_call_duration_seconds{operation,outcome}` per attempt (a retried call is
 * several attempts) and `payment_provider_circuit_state` (0 closed, 1 open, 2 half-open,
 * 3 isolated — cockatiel's numbering), read from the breaker at scrape time.
 */
export function createProviderMetrics(registry: Registry, circuitState: () => number): ProviderMetrics {
  const duration = new Histogram({
    name: 'payment_provider_call_duration_seconds',
    help: 'Duration of payment provider call attempts, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  })
  new Gauge({
    name: 'payment_provider_circuit_state',
    help: 'Payment provider circuit breaker: 0 closed, 1 open, 2 half-open, 3 isolated',
    registers: [registry],
    collect() {
      this.set(circuitState())
    },
  })
  return { observe: (operation, outcome, seconds) => duration.observe({ operation, outcome }, seconds) }
}
