import type { Logger } from 'pino'
import { isJetStreamSettling } from './job-dependencies.js'
import { rootMessage } from './ready-context.js'
import { DependencyUnavailable, waitForDependencies } from './wait-for-dependencies.js'

// What nats.js throws while the server is away: a request nobody answered in time, or one made
// on a connection that is reconnecting or closed.
const NATS_AWAY = new Set(['TimeoutError', 'NoRespondersError', 'RequestError', 'ClosedConnectionError', 'ConnectionError'])

/** Whether an error, or one of its causes, says NATS is away rather than that something is wrong. */
export function isNatsAway(error: unknown): boolean {
  if (isJetStreamSettling(error)) return true
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (NATS_AWAY.has(e.name)) return true
  }
  return false
}

/**
 * Starts the service's consumers and workers, again while NATS does not answer. NATS was there when
 * the service checked its dependencies, but it may go away before the workers' start asks it for
 * their consumers: in the chaos run a payment service restarted moments before nats-server was
 * killed, its start failed on a timed-out request, and it exited with 1. A failed start has
 * stopped what it began (`startServiceWorkers`), so it is tried again whole, with the backoff the
 * wait for dependencies uses. Resolves with `undefined` when `signal` aborts first (SIGTERM).
 */
export function startWorkersRetrying<W>(start: () => Promise<W>, logger: Logger, signal: AbortSignal, opts: { initialDelayMs?: number } = {}): Promise<W | undefined> {
  return waitForDependencies({
    attempt: async () => {
      try {
        return await start()
      } catch (error) {
        if (isNatsAway(error)) throw new DependencyUnavailable('nats', `starting the consumers: ${rootMessage(error)}`, { cause: error })
        throw error
      }
    },
    logger,
    signal,
    ...(opts.initialDelayMs === undefined ? {} : { initialDelayMs: opts.initialDelayMs }),
  })
}
