import { isEventOf, ReserveStock } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type EventHandler } from '@orderflow/messaging'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { reserveStock } from '../use-cases/reserve-stock.js'
import { reserveConsumer } from './consumers.js'

export interface ReserveHandlerDeps {
  orm: Orm
  metrics: InventoryMetrics
  /** How long a reservation holds without a commit or release. */
  ttlSeconds: number
}

/** `inventory.cmd.reserve`: the verdict, its lines and its event commit with the inbox row. */
export function reserveStockHandler({ orm, metrics, ttlSeconds }: ReserveHandlerDeps): EventHandler {
  const consumer = reserveConsumer.durable
  return async (event, ctx) => {
    if (!isEventOf(ReserveStock, event)) throw new PermanentError(`${consumer} handles ${ReserveStock.type}, not ${event.type}`)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => reserveStock(em, event.data, ttlSeconds))
    if (result.duplicate) return ctx.logger.debug('reserve command already processed')
    const outcome = result.result
    if (outcome.kind === 'stale') return ctx.logger.info({ status: outcome.status }, 'reserve command for an order already released; nothing reserved')
    if (outcome.repeated) return ctx.logger.info({ verdict: outcome.kind }, 'order already decided; verdict sent again')
    metrics.reservation(outcome.kind)
    if (outcome.kind === 'rejected') ctx.logger.info({ reason: outcome.rejection.reason, unavailable: outcome.rejection.unavailable }, 'order rejected')
  }
}
