import type { CommandDeps } from './command-deps.js'
import type { PaymentBatch } from './payment-batch.js'
import { askProvider, voidCall, type Answered } from './provider-call.js'

/**
 * Makes authorizations the provider did not answer in time (after the client's own retries)
 * safe to decline: the provider may have authorized before its answer was lost, so whatever it
 * holds for each order is cancelled by order reference — a technical cancel under the payment's
 * void key — while the batch still holds the payments' locks, and recorded with the decline in
 * statement two.
 *
 * A second round of calls rather than a cancel inside the authorize call: each call keeps a
 * record of its own (AUTHORIZE TIMEOUT, then VOID SUCCEEDED), and a cancel that fails is
 * recorded as the failed VOID it is. It fails the batch, to be redelivered: PROVIDER_TIMEOUT is
 * never said while something may still be held. The timed-out calls then go on record aside, as
 * every failed call does, so a void that comes before the redelivery still finds the attempt.
 */
export async function cancelTimedOut(batch: PaymentBatch, timedOut: readonly Answered<unknown>[], deps: CommandDeps): Promise<void> {
  if (timedOut.length === 0) return
  // No provider reference: we never got one, so the cancel names the order.
  const cancels = timedOut.map(({ orderId }) => voidCall({ orderId, providerRef: null }, deps.provider, undefined))
  try {
    for (const { record } of await askProvider(cancels, deps.failedCalls)) batch.record([record])
  } catch (error) {
    deps.failedCalls.record(timedOut.map((t) => t.record))
    throw error
  }
}
