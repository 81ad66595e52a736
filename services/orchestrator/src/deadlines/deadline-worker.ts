import type { Logger } from 'pino'
import type { Orm } from '@orderflow/db'
import type { SagaMetrics } from '../metrics/saga.metrics.js'
import { expireDueSagas } from '../use-cases/expire-deadlines.js'

export interface DeadlineWorkerOptions {
  orm: Orm
  logger: Logger
  metrics: SagaMetrics
  stepTimeoutMs: number
  /** Pause between scans when the last one found fewer than a full batch. */
  intervalMs: number
  batchSize: number
}

export interface DeadlineWorker {
  /** Stops scanning, waiting for a batch in progress to commit. */
  stop(): Promise<void>
}

/**
 * Acts on sagas whose deadline has passed: one transaction per batch, scanning again at once
 * while batches come back full. Every replica may run it (the rows are claimed with SKIP
 * LOCKED); a failed scan is logged and retried at the next interval.
 */
export function startDeadlineWorker(o: DeadlineWorkerOptions): DeadlineWorker {
  const logger = o.logger.child({ component: 'saga-deadlines' })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()

  const scan = async (): Promise<void> => {
    for (;;) {
      const clock = { now: new Date(), stepTimeoutMs: o.stepTimeoutMs }
      const results = await o.orm.em.fork().transactional((em) => expireDueSagas(em, o.batchSize, clock))
      for (const result of results) {
        o.metrics.record(result)
        if (result.kind === 'applied') logger.info({ order_id: result.orderId, state: result.state, outcome: result.outcome }, 'saga deadline passed')
      }
      if (results.length < o.batchSize || stopped) return
    }
  }
  const schedule = () => {
    timer = setTimeout(() => {
      running = scan().catch((error: unknown) => logger.warn({ err: error }, 'deadline scan failed; retrying next interval'))
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
