import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'

/**
 * Something a service needs is not there yet: a server that does not answer, a schema that is
 * behind the code, streams not declared yet. Worth waiting for, unlike a bad configuration or a
 * bug, which fail the start at once.
 */
export class DependencyUnavailable extends Error {
  override readonly name = 'DependencyUnavailable'
  constructor(
    /** What is missing, e.g. `database`, `database schema`, `nats`. */
    readonly dependency: string,
    /** Why, for operators: the driver's message, the pending migrations. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${dependency}: ${reason}`, options)
  }
}

export interface WaitOptions<T> {
  /** Opens what the service needs; throws {@link DependencyUnavailable} while something is missing. */
  attempt: () => Promise<T>
  logger: Logger
  /** Stops the wait (SIGTERM): `waitForDependencies` then resolves with `undefined`. */
  signal: AbortSignal
  /** Told each failed attempt's reason, e.g. for `/readyz`. @default nothing */
  onWaiting?: (reason: string) => void
  /** Pause after the first failed attempt; it doubles after each further one. @default 500 */
  initialDelayMs?: number
  /** Longest pause between two attempts. @default 10000 */
  maxDelayMs?: number
  /** How often an unchanged reason is logged again. @default 60000 */
  reminderMs?: number
  /** Source of the jitter, in [0, 1). @default Math.random */
  random?: () => number
}

/**
 * Calls `attempt` until it succeeds and resolves with its result. Between attempts it waits, from
 * `initialDelayMs` doubling up to `maxDelayMs`, each pause shortened by a random part of up to half
 * (replicas started together do not retry in step). A reason is logged when it changes and then
 * every `reminderMs`, not at every attempt. Anything else than {@link DependencyUnavailable}
 * rejects at once. An attempt already running when `signal` aborts is awaited, and its result
 * returned: the caller closes it.
 */
export async function waitForDependencies<T>(opts: WaitOptions<T>): Promise<T | undefined> {
  const initialDelayMs = opts.initialDelayMs ?? 500
  const maxDelayMs = opts.maxDelayMs ?? 10_000
  const reminderMs = opts.reminderMs ?? 60_000
  const random = opts.random ?? Math.random
  const startedAt = Date.now()
  let failures = 0
  let lastReason: string | undefined
  let loggedAt = 0
  while (!opts.signal.aborted) {
    try {
      const value = await opts.attempt()
      if (failures > 0) opts.logger.info({ attempts: failures + 1, waitedMs: Date.now() - startedAt }, 'dependencies available; starting')
      return value
    } catch (error) {
      if (!(error instanceof DependencyUnavailable)) throw error
      failures++
      opts.onWaiting?.(error.message)
      const now = Date.now()
      if (error.message !== lastReason || now - loggedAt >= reminderMs) {
        const message = error.message === lastReason ? 'still waiting for a dependency' : 'waiting for a dependency'
        opts.logger.warn({ waitingFor: error.message, attempts: failures, waitedMs: now - startedAt }, message)
        lastReason = error.message
        loggedAt = now
      }
    }
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(failures - 1, 30))
    await sleep(ceiling * (1 - random() / 2), undefined, { signal: opts.signal }).catch(() => undefined)
  }
  return undefined
}
