import Type from 'typebox'
import { serviceSettings } from '@orderflow/runtime'

/**
 * Every environment variable the payment service reads; the chart and `make up` set these.
 * The PROVIDER_* settings shape the resilient client and the simulated provider behind it.
 */
export const PaymentConfigSchema = Type.Object({
  ...serviceSettings(8084),
  /** Time one provider call may take before the client gives up on it. @default 2000 */
  PROVIDER_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 2_000 }),
  /**
   * Retries of a transient failure (unavailable, timeout) inside one delivery. Few on purpose:
   * the consumer's own backoff is the outer, longer retry. @default 2
   */
  PROVIDER_RETRIES: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
  /** First delay between those retries; it grows exponentially with jitter. @default 100 */
  PROVIDER_RETRY_DELAY_MS: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  /** Consecutive transient failures that open the circuit breaker. @default 5 */
  PROVIDER_BREAKER_THRESHOLD: Type.Integer({ minimum: 1, maximum: 1_000, default: 5 }),
  /** How long an open breaker refuses calls before letting one test call through. @default 10000 */
  PROVIDER_BREAKER_HALF_OPEN_MS: Type.Integer({ minimum: 10, maximum: 600_000, default: 10_000 }),
  /** Simulation: share of calls that fail transiently at random, for load runs. @default 0 */
  PROVIDER_FAILURE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  /** Simulation: latency added to every call. @default 0 */
  PROVIDER_LATENCY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  /** Simulation: attempts per order that fail before `tok_unavailable` authorizes. @default 2 */
  PROVIDER_UNAVAILABLE_ATTEMPTS: Type.Integer({ minimum: 0, maximum: 100, default: 2 }),
})
