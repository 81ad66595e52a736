import type { Logger } from 'pino'
import { advanceDueShipments, type SchedulerDeps } from '../use-cases/advance-shipments.js'
import type { ShipmentSchedule } from '../use-cases/schedule.js'

export interface ShipmentSchedulerOptions {
  schedule: ShipmentSchedule
  /** Pause between rounds when there was nothing more to do. */
  intervalMs: number
  /** Shipments one statement advances at most. */
  batchSize: number
  logger: Logger
}

export interface ShipmentScheduler {
  /** Stops polling and waits for the round in progress to commit or roll back. */
  stop(): Promise<void>
}

/**
 * Moves due shipments on: every `intervalMs` it advances batches until a batch comes back short
 * (a backlog drains at once instead of one batch per interval). The due times live in the
 * `shipments` table, not in timers, so any replica may run this and a restart picks up where
 * the last process stopped. Each batch is one statement, its events published right after it.
 */
export function startShipmentScheduler(deps: SchedulerDeps, options: ShipmentSchedulerOptions): ShipmentScheduler {
  const { schedule, intervalMs, batchSize } = options
  const logger = options.logger.child({ component: 'shipment-scheduler' })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()

  const round = async (): Promise<void> => {
    let advanced = batchSize
    while (!stopped && advanced === batchSize) {
      advanced = await advanceDueShipments(deps, schedule, batchSize)
      if (advanced > 0) logger.debug({ advanced }, 'shipments advanced')
    }
  }
  const next = () => {
    timer = setTimeout(() => {
      running = round().catch((error: unknown) => logger.warn({ err: error }, 'shipment scheduler round failed; retrying next round'))
      void running.then(() => {
        if (!stopped) next()
      })
    }, intervalMs)
  }
  next()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
