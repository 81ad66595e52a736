import type { Logger } from 'pino'
import { DatabaseUrlError, pingDatabase } from '@orderflow/db'
import { rootMessage } from './ready-context.js'
import { DependencyUnavailable, waitForDependencies } from './wait-for-dependencies.js'

// `migrate.js --wait` and `provision.js --wait`: on Kubernetes the chart starts these Jobs together
// with the PostgreSQL or NATS of the same release, so the Job waits, with the services' backoff,
// for a server that is still pulling its image or electing a leader, instead of failing and
// spending the Job's retries. What no wait can fix (a wrong password, a malformed URL, a broken
// stream definition) still fails at once.

/** JetStream API error codes (`err_code`) of a JetStream that answers but cannot act yet. */
const JETSTREAM_SETTLING = new Set([
  10008, // JetStream system temporarily unavailable (a cluster without its meta leader)
  10023, // insufficient resources (fewer servers up than the stream's replicas)
  10074, // no suitable peers for placement
])

/** A wrong password or no right to connect (SQLSTATE class 28), or a URL that is not one. */
function isMisconfiguration(error: unknown): boolean {
  if (error instanceof DatabaseUrlError) return true
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('28')
}

/**
 * One attempt to reach a job's database: {@link DependencyUnavailable} while it cannot (no server
 * answering yet, a host name not resolvable yet, the database not created yet, the server starting
 * up); a misconfiguration is thrown as it is. With `maintenance` it connects to the server's
 * `postgres` database instead, for a job that creates the URL's database itself.
 */
export async function reachDatabase(url: string, options: { maintenance?: boolean; connectTimeoutMs?: number } = {}): Promise<void> {
  try {
    await pingDatabase(url, { ...(options.maintenance === true ? { database: 'postgres' } : {}), connectTimeoutMs: options.connectTimeoutMs ?? 5_000 })
  } catch (error) {
    if (isMisconfiguration(error)) throw error
    throw new DependencyUnavailable('database', rootMessage(error), { cause: error })
  }
}

/**
 * Whether an error, or one of its causes, is JetStream not ready yet: a request that timed out or
 * found no responder, or an API error with status 503 or one of the codes of a forming cluster.
 */
export function isJetStreamSettling(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'NoRespondersError') return true
    const { code, status } = e as { code?: unknown; status?: unknown }
    if (typeof code === 'number' && typeof status === 'number' && (status === 503 || JETSTREAM_SETTLING.has(code))) return true
  }
  return false
}

/**
 * Runs `attempt` until it no longer throws {@link DependencyUnavailable} (as a service waits:
 * {@link waitForDependencies}) and resolves with its result, or with `undefined` when SIGTERM or
 * SIGINT came first (the Job's deadline, `helm uninstall`).
 */
export async function waitUnlessStopped<T>(attempt: () => Promise<T>, logger: Logger): Promise<T | undefined> {
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  try {
    return await waitForDependencies({ attempt, logger, signal: stop.signal })
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }
}
