import type { Logger } from 'pino'
import type { Worker } from '@orderflow/runtime'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { expireDueReservations, type ExpiryDeps } from './expire-reservations.js'

export interface ExpiryWorkerOptions {
  intervalMs: number
  batchSize: number
}

/**
 * Every `intervalMs`, expires overdue reservations batch after batch until none is left. Every
 * replica may run it (see {@link expireDueReservations}); a failed round is logged and the next
 * one tries again.
 */
export function startExpiryWorker(deps: ExpiryDeps, logger: Logger, metrics: InventoryMetrics, opts: ExpiryWorkerOptions): Worker {
  let running: Promise<void> | undefined
  let stopped = false
  const sweep = async () => {
    let total = 0
    for (let n = opts.batchSize; n === opts.batchSize && !stopped; ) {
      n = await expireDueReservations(deps, opts.batchSize)
      total += n
    }
    if (total > 0) metrics.reservation('expired', total)
    if (total > 0) logger.warn({ expired: total }, 'reservations expired without a commit or release; stock released')
  }
  const timer = setInterval(() => {
    running ??= sweep()
      .catch((error: unknown) => logger.warn({ err: error }, 'reservation expiry failed; retrying next round'))
      .finally(() => (running = undefined))
  }, opts.intervalMs)
  timer.unref()
  return {
    name: 'reservation expiry',
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
