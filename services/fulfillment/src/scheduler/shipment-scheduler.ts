import type { Logger } from 'pino'
import { startPeriodic } from '@orderflow/runtime'
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
  const { schedule, batchSize } = options
  const logger = options.logger.child({ component: 'shipment-scheduler' })
  return startPeriodic({
    name: 'shipment-scheduler',
    intervalMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      const advanced = await advanceDueShipments(deps, schedule, batchSize)
      if (advanced > 0) logger.debug({ advanced }, 'shipments advanced')
      return advanced === batchSize
    },
  })
}
