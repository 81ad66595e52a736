import { isEventOf, ReleaseStock } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { releaseStock } from '../use-cases/release-stock.js'
import { releaseConsumer } from './consumers.js'

/** `inventory.cmd.release`: gives the order's stock back; always answers `inventory.released`. */
export function releaseStockHandler({ orm, metrics }: { orm: Orm; metrics: InventoryMetrics }): EventHandler {
  const consumer = releaseConsumer.durable
  return async (event, ctx) => {
    if (!isEventOf(ReleaseStock, event)) throw new PermanentError(`${consumer} handles ${ReleaseStock.type}, not ${event.type}`)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => releaseStock(em, event.data.orderId))
    if (result.duplicate) return ctx.logger.debug('release command already processed')
    if (result.result === 'released' || result.result === 'restocked') metrics.reservation('released')
    ctx.logger.info({ outcome: result.result, reason: event.data.reason }, 'release processed')
  }
}
