import type { Registry } from 'prom-client'
import type { PaymentProvider } from './payment-provider.js'
import { ResilientProvider } from './resilient-provider.js'
import { SimulatedProvider } from './simulated-provider.js'

/** The PROVIDER_* settings (see config.ts). */
export interface ProviderSettings {
  PROVIDER_TIMEOUT_MS: number
  PROVIDER_RETRIES: number
  PROVIDER_RETRY_DELAY_MS: number
  PROVIDER_BREAKER_THRESHOLD: number
  PROVIDER_BREAKER_HALF_OPEN_MS: number
  PROVIDER_FAILURE_RATE: number
  PROVIDER_LATENCY_MS: number
  PROVIDER_UNAVAILABLE_ATTEMPTS: number
}

/** The in-process simulation as configured. */
export function simulatedProviderFrom(settings: ProviderSettings): SimulatedProvider {
  return new SimulatedProvider({
    failureRate: settings.PROVIDER_FAILURE_RATE,
    latencyMs: settings.PROVIDER_LATENCY_MS,
    unavailableAttempts: settings.PROVIDER_UNAVAILABLE_ATTEMPTS,
  })
}

/** `inner` behind the client's timeout, retries and circuit breaker, as configured. */
export function resilientProviderFrom(inner: PaymentProvider, settings: ProviderSettings, registry?: Registry): ResilientProvider {
  return new ResilientProvider(inner, {
    timeoutMs: settings.PROVIDER_TIMEOUT_MS,
    retries: settings.PROVIDER_RETRIES,
    retryDelayMs: settings.PROVIDER_RETRY_DELAY_MS,
    breakerThreshold: settings.PROVIDER_BREAKER_THRESHOLD,
    halfOpenAfterMs: settings.PROVIDER_BREAKER_HALF_OPEN_MS,
    ...(registry ? { registry } : {}),
  })
}
