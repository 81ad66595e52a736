import type { Logger } from 'pino'

export interface PeriodicOptions {
  /** What the work is called in the log (`component`). */
  readonly name: string
  /** Pause after a pass that left nothing due; also the wait before the first pass. */
  readonly intervalMs: number
  readonly logger: Logger
  /**
   * One pass (one batch, one transaction). Resolves `true` when more is due right now — a batch
   * came back full — and the next pass then starts at once, so a backlog drains without waiting
   * an interval per batch. A rejection is logged and the work is tried again after the interval.
   */
  readonly run: () => Promise<boolean>
}

export interface Periodic {
  /** Stops scheduling and waits for the pass in progress to end (its commit or rollback). */
  stop(): Promise<void>
}

/**
 * The one timer loop of the platform's periodic work (deadline sweeps, the mail sender, the
 * shipment scheduler): passes one after the other, never two at once in a process, an interval
 * apart while there is nothing to do. What is due lives in the database, not in this loop, so any
 * number of replicas may run it and a restart picks up where the last process stopped.
 */
export function startPeriodic(o: PeriodicOptions): Periodic {
  if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1) throw new Error(`${o.name}: intervalMs must be a positive integer (got ${o.intervalMs})`)
  const logger = o.logger.child({ component: o.name })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()

  const passes = async (): Promise<void> => {
    while (!stopped && (await o.run())) {
      // A full batch: more is due right now.
    }
  }
  const schedule = () => {
    timer = setTimeout(() => {
      running = passes().catch((error: unknown) => logger.warn({ err: error }, `${o.name} failed; trying again after the interval`))
      void running.then(() => {
        if (!stopped) schedule()
      })
    }, o.intervalMs)
  }
  schedule()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
