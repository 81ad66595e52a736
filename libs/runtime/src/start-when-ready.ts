import type { TObject } from 'typebox'
import type { Logger } from 'pino'
import type { Shutdown } from '@orderflow/http'
import { openReadyContext, type OpenedContext } from './ready-context.js'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'
import { waitForDependencies } from './wait-for-dependencies.js'
import { startWaitingServer } from './waiting-server.js'

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** The service's connections, opened once everything it needs was there. */
export interface ReadyContext<C extends ServiceConfig> extends OpenedContext<C> {
  /** Aborts when SIGTERM or SIGINT comes before {@link ReadyContext.handOver}: what still waits then gives up. */
  readonly stopping: AbortSignal
  /**
   * Hands SIGTERM and SIGINT over to the service's own shutdown, once installed; a signal that
   * came while the service was starting is passed on at once.
   */
  handOver(shutdown: Shutdown): void
}

/**
 * Opens the service's context, waiting as long as it takes for its database, its schema, NATS and
 * its streams (see {@link openReadyContext}), with a waiting server on the service's port
 * meanwhile (`/livez` 200, `/readyz` 503 and why), closed just before it resolves so the API can
 * listen there. On Kubernetes the migrate and provision Jobs may run after the pods start: a
 * service that exited would crash-loop, and one that restarts takes longer to notice.
 *
 * Resolves with `undefined` when SIGTERM or SIGINT came while it waited: everything it opened is
 * closed and the process can end with code 0. Past `SHUTDOWN_TIMEOUT_MS` (a connection attempt
 * that hangs) it exits with 1, as the service's shutdown would.
 */
export async function startWhenReady<C extends ServiceConfig>(
  def: ServiceDefinition<TObject, C>,
  config: C,
  logger: Logger,
): Promise<ReadyContext<C> | undefined> {
  const stop = new AbortController()
  let stopReason: string | undefined
  let deadline: NodeJS.Timeout | undefined
  const stopListening = () => {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal)
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    // Only the first: a second Ctrl-C gets Node's default and ends the process at once.
    stopListening()
    stopReason = signal
    deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'stopping while starting timed out; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    stop.abort()
  }
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)

  let opened: OpenedContext<C> | undefined
  try {
    const server = await startWaitingServer({ host: config.HOST, port: config.PORT, waitingFor: 'database, nats: connecting' })
    try {
      opened = await waitForDependencies({
        attempt: () => openReadyContext(def, config, logger),
        logger,
        signal: stop.signal,
        onWaiting: (reason) => server.setWaitingFor(reason),
      })
    } finally {
      await server.close()
    }
  } catch (error) {
    stopListening()
    clearTimeout(deadline)
    throw error
  }

  if (opened === undefined || stopReason !== undefined) {
    logger.info({ signal: stopReason }, 'stopped before the service started')
    await opened?.close()
    clearTimeout(deadline)
    return undefined
  }
  const { ctx, close } = opened
  return {
    ctx,
    close,
    stopping: stop.signal,
    handOver(shutdown) {
      stopListening()
      clearTimeout(deadline)
      if (stopReason !== undefined) void shutdown(stopReason)
    },
  }
}
