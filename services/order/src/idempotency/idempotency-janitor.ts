import type { Logger } from 'pino'
import type { Orm } from '@orderflow/db'
import { deleteExpiredKeys } from './idempotency-store.js'

export interface Janitor {
  stop(): Promise<void>
}

/**
 * Deletes expired Idempotency-Keys every `intervalMs`, in batches until none are left. Every
 * replica may run it: the batches are independent DELETEs and an expired key is dead anyway
 * (a request that finds one takes it over), so there is nothing to coordinate.
 */
export function startIdempotencyJanitor(orm: Orm, logger: Logger, intervalMs = 10 * 60_000): Janitor {
  let running: Promise<void> | undefined
  const sweep = async () => {
    let total = 0
    for (let n = -1; n !== 0; total += n) n = await deleteExpiredKeys(orm.em.fork())
    if (total > 0) logger.info({ deleted: total }, 'expired idempotency keys deleted')
  }
  const timer = setInterval(() => {
    running ??= sweep()
      .catch((error: unknown) => logger.warn({ err: error }, 'idempotency key cleanup failed; retrying next round'))
      .finally(() => (running = undefined))
  }, intervalMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
