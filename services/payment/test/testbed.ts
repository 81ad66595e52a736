import type { Orm } from '@orderflow/db'
import { serviceTestbed, type ServiceTestbed } from '@orderflow/testing/service'
import { SimulatedProvider, type SimulatedProviderOptions } from '../src/provider/simulated-provider.js'
import { createPaymentService, type PaymentConfig } from '../src/service.js'

export { eventually } from '@orderflow/testing/service'

interface TestLike {
  teardown(fn: () => unknown): void
}

export interface PaymentTestbed extends ServiceTestbed<PaymentConfig> {
  /** The simulated provider behind the service's resilient client: count its calls here. */
  sim: SimulatedProvider
}

/** Short provider deadlines so failure paths take milliseconds, not seconds. */
export const FAST_PROVIDER: Record<string, string> = {
  PROVIDER_TIMEOUT_MS: '300',
  PROVIDER_RETRIES: '1',
  PROVIDER_RETRY_DELAY_MS: '20',
  // High, so a test that times out on purpose does not open the breaker for the others.
  PROVIDER_BREAKER_THRESHOLD: '50',
}

/**
 * The payment service on a database and NATS namespace of its own (see serviceTestbed), with a
 * simulated provider of the test's own behind the resilient client, so the test can count the
 * calls that reached it. Nothing runs in the background until `startWorkers`.
 */
export async function paymentTestbed(t: TestLike, env: Record<string, string> = {}, sim: SimulatedProviderOptions = {}): Promise<PaymentTestbed> {
  const settings = { ...FAST_PROVIDER, ...env }
  const provider = new SimulatedProvider({ unavailableAttempts: Number(settings.PROVIDER_UNAVAILABLE_ATTEMPTS ?? 2), ...sim })
  const tb = await serviceTestbed(t, createPaymentService({ provider: () => provider }), settings)
  return Object.assign(tb, { sim: provider })
}

/** What the service enqueued about an order, oldest first: `[type, data]`. */
export async function outboxFor(orm: Orm, orderId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const rows = await orm.em.fork().execute<{ type: string; payload: { data: Record<string, unknown> } }[]>(
    `select type, payload from outbox where payload->>'subject' = ? order by seq`,
    [orderId],
  )
  return rows.map((r) => ({ type: r.type, data: r.payload.data }))
}

/** The payment row as stored. */
export async function paymentRow(orm: Orm, orderId: string): Promise<{ status: string; provider_ref: string | null; version: number } | undefined> {
  const [row] = await orm.em.fork().execute<{ status: string; provider_ref: string | null; version: number }[]>(
    'select status, provider_ref, version from payments where order_id = ?',
    [orderId],
  )
  return row
}

/** The provider calls recorded for an order: `OPERATION:OUTCOME`, oldest first. */
export async function transactionsFor(orm: Orm, orderId: string): Promise<string[]> {
  const rows = await orm.em.fork().execute<{ operation: string; outcome: string }[]>(
    'select operation, outcome from payment_transactions where order_id = ? order by at, id',
    [orderId],
  )
  return rows.map((r) => `${r.operation}:${r.outcome}`)
}
