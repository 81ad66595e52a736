import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { AuthorizePayment, makeEvent, type CapturePayment } from '@orderflow/contracts'
import type { Orm } from '@orderflow/db'
import { serviceTestbed, type ServiceTestbed } from '@orderflow/testing/service'
import { authorizeConsumer, captureConsumer, refundConsumer, voidConsumer } from '../src/consumers/payment-command.consumer.js'
import { resilientProviderFrom } from '../src/provider/configured-provider.js'
import type { PaymentProvider } from '../src/provider/payment-provider.js'
import { SimulatedProvider, type SimulatedProviderOptions } from '../src/provider/simulated-provider.js'
import { FailedCallLog } from '../src/repositories/failed-call-log.js'
import { createPaymentService, type PaymentConfig } from '../src/service.js'
import type { AuthorizeCommand } from '../src/use-cases/authorize-payment.js'
import type { CaptureCommand } from '../src/use-cases/settle-payment.js'

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

interface StoredPayment {
  status: string
  provider_ref: string | null
  decline_reason: string | null
  version: number
}

/** The payment row as stored. */
export async function paymentRow(orm: Orm, orderId: string): Promise<StoredPayment | undefined> {
  const [row] = await orm.em.fork().execute<StoredPayment[]>(
    'select status, provider_ref, decline_reason, version from payments where order_id = ?',
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

/**
 * The four consumers as the service builds them, on `provider` (by default the resilient client
 * on the testbed's simulation), for `handleBatch`; `failedCalls.flush()` waits for the records
 * of failed provider calls, which are written beside the batch's transaction.
 */
export function paymentConsumers(tb: PaymentTestbed, provider: PaymentProvider = resilientProviderFrom(tb.sim, tb.config)) {
  const failedCalls = new FailedCallLog(tb.ctx.db, tb.ctx.logger)
  const deps = { provider, failedCalls, logger: tb.ctx.logger }
  return { failedCalls, authorize: authorizeConsumer(deps), void: voidConsumer(deps), capture: captureConsumer(deps), refund: refundConsumer(deps) }
}

/** A capture, void or refund command for an order, as the saga sends it (the three carry the same data). */
export function commandFor(def: typeof CapturePayment, orderId: string): CaptureCommand {
  return makeEvent(def, { source: 'orderflow/test', subject: orderId, data: { orderId } })
}

/** An authorize command for an order (of customer c-42's unless `customerId` says otherwise). */
export function authorizeFor(orderId: string, token = 'tok_visa', amount = 2500, customerId = 'c-42'): AuthorizeCommand {
  return makeEvent(AuthorizePayment, { source: 'orderflow/test', subject: orderId, data: { orderId, customerId, amount, currency: 'EUR', method: 'card', token } })
}

/**
 * Makes the next insert of a provider-call record for `orderId` fail, once — the way statement
 * two fails when the database goes away after the provider answered. A sequence counts, as it
 * is the one thing the failing transaction's rollback does not undo.
 */
export async function failNextCallRecord(tb: PaymentTestbed, orderId: string): Promise<void> {
  const name = `fail_${randomUUID().replaceAll('-', '')}`
  await sql`create sequence ${sql.id(name)}`.execute(tb.ctx.db)
  await sql
    .raw(
      `create function ${name}() returns trigger language plpgsql as $$
         begin
           if nextval('${name}') = 1 then raise exception 'injected: the database went away'; end if;
           return new;
         end $$`,
    )
    .execute(tb.ctx.db)
  await sql.raw(`create trigger ${name} before insert on payment_transactions for each row when (new.order_id = '${orderId}') execute function ${name}()`).execute(tb.ctx.db)
}
