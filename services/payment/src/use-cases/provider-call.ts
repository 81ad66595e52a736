import type { Orm } from '@orderflow/db'
import type { TransactionOperation, TransactionOutcome } from '../entities/payment-transaction.entity.js'
import { PaymentTransaction } from '../entities/payment-transaction.entity.js'
import {
  ProviderCircuitOpenError,
  ProviderError,
  ProviderRejectedError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from '../provider/provider.errors.js'

export interface CallRecord {
  outcome: TransactionOutcome
  providerRef?: string | undefined
  error?: string | undefined
}

/**
 * Calls the provider and writes the call's result to `payment_transactions` in a short
 * transaction of its own, success or failure, before the caller moves the payment: the trail
 * shows what was asked of the provider even when the status change that follows fails.
 */
export async function callProvider<T>(
  orm: Orm,
  orderId: string,
  operation: TransactionOperation,
  call: () => Promise<T>,
  describe: (result: T) => CallRecord,
): Promise<T> {
  let result: T
  try {
    result = await call()
  } catch (error) {
    await recordCall(orm, orderId, operation, { outcome: outcomeOf(error), error: messageOf(error) })
    throw error
  }
  await recordCall(orm, orderId, operation, describe(result))
  return result
}

async function recordCall(orm: Orm, orderId: string, operation: TransactionOperation, record: CallRecord): Promise<void> {
  const em = orm.em.fork()
  em.create(PaymentTransaction, {
    orderId,
    operation,
    outcome: record.outcome,
    providerRef: record.providerRef ?? null,
    error: record.error?.slice(0, 500) ?? null,
    at: new Date(),
  })
  await em.flush()
}

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
