import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  isTaskCancelledError,
  retry,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel'
import type { Registry } from 'prom-client'
import type {
  AuthorizeRequest,
  AuthorizeResult,
  PaymentProvider,
  ProviderOperation,
  ProviderReceipt,
  SettleRequest,
  VoidRequest,
} from './payment-provider.js'
import { createProviderMetrics, type CallOutcome, type ProviderMetrics } from './provider.metrics.js'
import { isTransientProviderError, ProviderCircuitOpenError, ProviderRejectedError, ProviderTimeoutError, ProviderUnavailableError } from './provider.errors.js'

export interface ResilienceOptions {
  /** Time one attempt may take. @default 2000 */
  timeoutMs?: number
  /** Retries of a transient failure within one call. @default 2 */
  retries?: number
  /** First retry delay; exponential with jitter after that, at most 10× this. @default 100 */
  retryDelayMs?: number
  /** Consecutive transient failures that open the breaker. @default 5 */
  breakerThreshold?: number
  /** How long the breaker stays open before a test call. @default 10000 */
  halfOpenAfterMs?: number
  /** Where the call metrics go; none when unset. */
  registry?: Registry
}

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated'

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
}

/**
 * A {@link PaymentProvider} that protects the service from a slow or failing provider: every
 * attempt has a time limit, transient failures (unavailable, timed out) are retried a few times
 * with exponential backoff, and a circuit breaker stops calling a provider that keeps failing,
 * letting one test call through after a pause. Declines and rejections are answers, not
 * failures: they neither retry nor count towards the breaker.
 *
 * Policies nest retry → breaker → timeout, so the breaker counts each timed-out attempt and an
 * open breaker ends the retries at once (the consumer's backoff is the longer, outer retry).
 * One instance per process: the breaker's memory is the point.
 */
export class ResilientProvider implements PaymentProvider {
  private readonly timeoutMs: number
  private readonly retryPolicy: RetryPolicy
  private readonly breaker: CircuitBreakerPolicy
  private readonly timeoutPolicy: TimeoutPolicy
  private readonly metrics: ProviderMetrics | undefined

  constructor(
    private readonly inner: PaymentProvider,
    options: ResilienceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2_000
    const retryDelayMs = options.retryDelayMs ?? 100
    const transient = handleWhen(isTransientProviderError)
    this.retryPolicy = retry(transient, {
      maxAttempts: options.retries ?? 2,
      backoff: new ExponentialBackoff({ initialDelay: retryDelayMs, maxDelay: retryDelayMs * 10 }),
    })
    this.breaker = circuitBreaker(transient, {
      halfOpenAfter: options.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    })
    // Aggressive: the call is cut when the time is up even if the provider's client ignores the
    // abort signal; a cooperative timeout would wait for it.
    this.timeoutPolicy = timeout(this.timeoutMs, TimeoutStrategy.Aggressive)
    this.metrics = options.registry ? createProviderMetrics(options.registry, () => this.breaker.state) : undefined
  }

  get circuitState(): CircuitStateName {
    return STATE_NAMES[this.breaker.state]
  }

  authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    return this.call('authorize', (signal) => this.inner.authorize(request, signal), (r) => (r.outcome === 'declined' ? 'declined' : 'succeeded'))
  }

  capture(request: SettleRequest): Promise<ProviderReceipt> {
    return this.call('capture', (signal) => this.inner.capture(request, signal))
  }

  void(request: VoidRequest): Promise<void> {
    return this.call('void', (signal) => this.inner.void(request, signal))
  }

  refund(request: SettleRequest): Promise<ProviderReceipt> {
    return this.call('refund', (signal) => this.inner.refund(request, signal))
  }

  private async call<T>(operation: ProviderOperation, fn: (signal: AbortSignal) => Promise<T>, classify: (result: T) => CallOutcome = () => 'succeeded'): Promise<T> {
    try {
      return await this.retryPolicy.execute(() => this.breaker.execute(() => this.attempt(operation, fn, classify)))
    } catch (error) {
      if (isBrokenCircuitError(error)) {
        this.metrics?.observe(operation, 'circuit_open', 0)
        throw new ProviderCircuitOpenError(operation, { cause: error })
      }
      throw error
    }
  }

  private async attempt<T>(operation: ProviderOperation, fn: (signal: AbortSignal) => Promise<T>, classify: (result: T) => CallOutcome): Promise<T> {
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    try {
      const result = await this.timeoutPolicy.execute(({ signal }) => fn(signal))
      this.metrics?.observe(operation, classify(result), seconds())
      return result
    } catch (error) {
      const failure = isTaskCancelledError(error) ? new ProviderTimeoutError(operation, this.timeoutMs, { cause: error }) : error
      this.metrics?.observe(operation, outcomeOf(failure), seconds())
      throw failure
    }
  }
}

function outcomeOf(error: unknown): CallOutcome {
  if (error instanceof ProviderTimeoutError) return 'timeout'
  if (error instanceof ProviderUnavailableError) return 'unavailable'
  if (error instanceof ProviderRejectedError) return 'rejected'
  return 'error'
}
