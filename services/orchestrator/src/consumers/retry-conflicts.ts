import { OptimisticLockError, UniqueConstraintViolationException } from '@mikro-orm/core'

/** Attempts at one message before a conflict is left to the consumer's redelivery. */
const ATTEMPTS = 4

/**
 * Runs `work` again when it lost a race on the same saga: another consumer moved it first (the
 * version check failed) or started it first (the primary key). Each attempt is a fresh
 * transaction that reads the winner's state, so retrying at once is right; going through a nak
 * would only add the consumer's backoff.
 */
export async function retryConflicts<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      const conflict = error instanceof OptimisticLockError || error instanceof UniqueConstraintViolationException
      if (!conflict || attempt >= ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt))
    }
  }
}
