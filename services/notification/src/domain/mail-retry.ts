/** How the sender retries a mail the SMTP server refused. */
export interface RetryPolicy {
  /** Wait after the first refused attempt; it doubles with each further one. */
  readonly minMs: number
  /** Longest wait between two attempts. */
  readonly maxMs: number
  /** Attempts in all; after the last refused one the mail is given up. */
  readonly maxAttempts: number
}

/** When to try again after `attempts` attempts (the last one refused), or `null` to give up. */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, now: Date): Date | null {
  if (attempts >= policy.maxAttempts) return null
  const delay = Math.min(policy.maxMs, policy.minMs * 2 ** Math.max(0, attempts - 1))
  return new Date(now.getTime() + delay)
}
