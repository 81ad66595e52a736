import { isEventOf, ReserveStock, type CloudEvent } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import type { Logger } from 'pino'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { reserveStock, type ReserveCommand, type ReserveOutcome } from '../use-cases/reserve-stock.js'
import { commandBatchHandler } from './command-batch.js'
import { reserveConsumer } from './consumers.js'

export interface ReserveHandlerDeps {
  orm: Orm
  metrics: InventoryMetrics
  /** How long a reservation holds without a commit or release. */
  ttlSeconds: number
}

const consumer = reserveConsumer.durable

/** `inventory.cmd.reserve`: the verdict, its lines and its event commit with the inbox row. */
export function reserveStockHandler({ orm, metrics, ttlSeconds }: ReserveHandlerDeps): EventHandler {
  return async (event, ctx) => {
    const command = commandOf(event)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => reserveStock(em, command, ttlSeconds))
    if (result.duplicate) return ctx.logger.debug('reserve command already processed')
    report(result.result, metrics, ctx.logger)
  }
}

/** The same for a batch of commands, in one transaction (see `commandBatchHandler`). */
export function reserveStockBatchHandler({ orm, metrics, ttlSeconds }: ReserveHandlerDeps): BatchHandler {
  return commandBatchHandler({
    orm,
    consumer,
    commandOf,
    skusOf: (c) => c.items.map((i) => i.sku),
    run: (em, c) => reserveStock(em, c, ttlSeconds),
    report: (outcome, _command, { logger }) => report(outcome, metrics, logger),
  })
}

function commandOf(event: CloudEvent): ReserveCommand {
  if (!isEventOf(ReserveStock, event)) throw new PermanentError(`${consumer} handles ${ReserveStock.type}, not ${event.type}`)
  return event.data
}

function report(outcome: ReserveOutcome, metrics: InventoryMetrics, logger: Logger): void {
  if (outcome.kind === 'stale') return logger.info({ status: outcome.status }, 'reserve command for an order already released; nothing reserved')
  if (outcome.repeated) return logger.info({ verdict: outcome.kind }, 'order already decided; verdict sent again')
  metrics.reservation(outcome.kind)
  if (outcome.kind === 'rejected') logger.info({ reason: outcome.rejection.reason, unavailable: outcome.rejection.unavailable }, 'order rejected')
}
