import type { TransactionOperation, TransactionOutcome } from '../entities/payment-transaction.entity.js'
import {
  ProviderCircuitOpenError,
  ProviderError,
  ProviderRejectedError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../provider/provider.errors.js'
import { idempotencyKey, type PaymentProvider } from '../provider/payment-provider.js'
import type { CallRecord } from '../repositories/call-records.sql.js'
import type { FailedCallLog } from '../repositories/failed-call-log.js'

/** One call a batch makes to the provider, and what its record says of the answer. */
export interface ProviderCall<T> {
  readonly orderId: string
  readonly operation: TransactionOperation
  readonly ask: () => Promise<T>
  readonly describe: (answer: T) => { outcome: TransactionOutcome; providerRef?: string | undefined; error?: string | undefined }
}

export interface Answered<T> {
  readonly orderId: string
  readonly answer: T
  readonly record: CallRecord
}

/**
 * Voids at the provider whatever it holds for the order's payment: by reference when we know it,
 * by order reference (a "technical cancel") when the answer of an authorization was lost. Under
 * the payment's void key, so asking again is safe. Resolves with `done`, the caller's own token
 * for "cancelled".
 */
export function voidCall<T>(payment: { readonly orderId: string; readonly providerRef: string | null }, provider: PaymentProvider, done: T): ProviderCall<T> {
  const { orderId } = payment
  const providerRef = payment.providerRef ?? undefined
  return {
    orderId,
    operation: 'VOID',
    ask: async () => {
      await provider.void({ orderId, providerRef, idempotencyKey: idempotencyKey(orderId, 'void') })
      return done
    },
    describe: () => ({ outcome: 'SUCCEEDED', providerRef }),
  }
}

type Settled<T> = { readonly ok: true; readonly answered: Answered<T> } | { readonly ok: false; readonly error: unknown; readonly record: CallRecord }

/**
 * Asks the provider everything a batch needs, side by side — at most one call per order, while
 * the batch holds the orders' payment locks. All answered: the answers with their records, for
 * statement two to write. Any failed: the failures are recorded aside (the transaction will roll
 * back, the calls still happened) and the first failure is thrown; the retry asks again under
 * the same idempotency keys, and the calls that were answered are answered the same.
 */
export async function askProvider<T>(calls: readonly ProviderCall<T>[], failed: FailedCallLog): Promise<Answered<T>[]> {
  const settled = await Promise.all(calls.map(settle))
  const answered: Answered<T>[] = []
  const failures: Extract<Settled<T>, { ok: false }>[] = []
  for (const s of settled) {
    if (s.ok) answered.push(s.answered)
    else failures.push(s)
  }
  const [first] = failures
  if (!first) return answered
  failed.record(failures.map((f) => f.record))
  throw first.error
}

async function settle<T>(call: ProviderCall<T>): Promise<Settled<T>> {
  const { orderId, operation } = call
  try {
    const answer = await call.ask()
    const { outcome, providerRef, error } = call.describe(answer)
    return { ok: true, answered: { orderId, answer, record: { orderId, operation, outcome, providerRef: providerRef ?? null, error: error ?? null, at: now() } } }
  } catch (error) {
    return { ok: false, error, record: { orderId, operation, outcome: outcomeOf(error), providerRef: null, error: messageOf(error), at: now() } }
  }
}

const now = () => new Date().toISOString()

function outcomeOf(error: unknown): TransactionOutcome {
  if (error instanceof ProviderTimeoutError) return 'TIMEOUT'
  if (error instanceof ProviderUnavailableError) return 'UNAVAILABLE'
  if (error instanceof ProviderCircuitOpenError) return 'CIRCUIT_OPEN'
  if (error instanceof ProviderRejectedError) return 'REJECTED'
  return 'ERROR'
}

// A provider's own errors say what the provider said; anything else is our bug, kept out of a
// table the API shows (the log has it).
function messageOf(error: unknown): string {
  if (error instanceof ProviderError) return error.message
  return `unexpected ${error instanceof Error ? error.name : 'failure'}`
}
