import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Lifecycle } from './lifecycle.plugin.js'

/** One thing to stop after the HTTP server has closed, e.g. draining consumers. */
export interface ShutdownStep {
  /** Named in the logs, and in the timeout message when it is the one that hangs. */
  name: string
  run: () => Promise<void> | void
}

export interface ShutdownOptions {
  /** The server from `buildServer` (anything with its `close`, `lifecycle` and `log`). */
  app: { close(): PromiseLike<unknown>; readonly lifecycle: Lifecycle; readonly log: FastifyBaseLogger }
  /** @default app.log */
  logger?: FastifyBaseLogger | undefined
  /**
   * How long `/readyz` answers 503 before the server stops accepting, so load balancers stop
   * sending traffic first (`SHUTDOWN_DRAIN_DELAY_MS`). @default 0
   */
  drainDelayMs?: number | undefined
  /**
   * Limit for the whole sequence (`SHUTDOWN_TIMEOUT_MS`); past it the process exits with code 1
   * whatever is still running. Keep it below the pod's `terminationGracePeriodSeconds`.
   * @default 15000
   */
  timeoutMs?: number | undefined
  /**
   * Run in order after the server has closed, each even if an earlier one failed, e.g. drain
   * consumers, stop the outbox relay, close the ORM, drain NATS. @default []
   */
  steps?: readonly ShutdownStep[] | undefined
  /** Signals that start the shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[] | undefined
  /** Ends the process; tests pass a spy. @default process.exit */
  exit?: ((code: number) => void) | undefined
}

/** Starts the shutdown (idempotent); resolves with the exit code once `exit` has been called. */
export type Shutdown = (reason?: string) => Promise<number>

/**
 * Installs the graceful shutdown: on SIGTERM or SIGINT (or when the returned function is called)
 * `/readyz` turns 503 at once; after `drainDelayMs` the server closes (no new connections,
 * in-flight requests finish); then the steps run in order; then the process exits, with 0 when
 * everything stopped cleanly and 1 when a step failed or `timeoutMs` ran out.
 *
 * Plain signal listeners rather than `close-with-grace`: the sequence needs the drain delay and
 * named, ordered steps under one deadline, which is this function; and the listeners are removed
 * as the shutdown starts, so a second Ctrl-C gets Node's default and ends the process at once.
 */
export function installShutdown(opts: ShutdownOptions): Shutdown {
  const log = opts.logger ?? opts.app.log
  const timeoutMs = opts.timeoutMs ?? 15_000
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT']
  const exit = opts.exit ?? ((code: number) => process.exit(code))
  let running: Promise<number> | undefined

  const onSignal = (signal: NodeJS.Signals): void => {
    void shutdown(signal)
  }
  for (const signal of signals) process.on(signal, onSignal)

  const shutdown: Shutdown = (reason = 'requested') => (running ??= run(reason))

  function run(reason: string): Promise<number> {
    for (const signal of signals) process.removeListener(signal, onSignal)
    return new Promise<number>((resolve) => {
      let stage = 'drain delay'
      let failed = false
      let exited = false
      const finish = (code: number): void => {
        if (exited) return
        exited = true
        clearTimeout(deadline)
        resolve(code)
        exit(code)
      }
      // Not unref'd: it must fire even when a hanging step holds nothing else on the loop.
      const deadline = setTimeout(() => {
        log.error({ stage, timeoutMs }, 'shutdown timed out; exiting')
        finish(1)
      }, timeoutMs)

      log.info({ reason, drainDelayMs: opts.drainDelayMs ?? 0, timeoutMs }, 'shutting down')
      opts.app.lifecycle.beginShutdown()

      const sequence = async (): Promise<void> => {
        if (opts.drainDelayMs) await sleep(opts.drainDelayMs)
        stage = 'close http server'
        try {
          await opts.app.close()
          log.info('http server closed')
        } catch (err) {
          failed = true
          log.error({ err }, 'closing the http server failed')
        }
        for (const step of opts.steps ?? []) {
          stage = step.name
          try {
            await step.run()
            log.info({ step: step.name }, 'shutdown step done')
          } catch (err) {
            failed = true
            log.error({ err, step: step.name }, 'shutdown step failed')
          }
        }
      }
      void sequence().then(
        () => {
          if (!exited) log.info({ failed }, 'shutdown complete')
          finish(failed ? 1 : 0)
        },
        (err: unknown) => {
          log.error({ err }, 'shutdown failed')
          finish(1)
        },
      )
    })
  }

  return shutdown
}
