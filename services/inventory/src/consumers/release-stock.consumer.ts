import { isEventOf, ReleaseStock, type CloudEvent, type DataOf } from '@orderflow/contracts'
import { processOnce, type Orm } from '@orderflow/db'
import { PermanentError, type BatchHandler, type EventHandler } from '@orderflow/messaging'
import type { Logger } from 'pino'
import type { InventoryMetrics } from '../inventory.metrics.js'
import { releaseStock, type ReleaseOutcome } from '../use-cases/release-stock.js'
import { commandBatchHandler } from './command-batch.js'
import { releaseConsumer } from './consumers.js'

type ReleaseCommand = DataOf<typeof ReleaseStock>

const consumer = releaseConsumer.durable

/** `inventory.cmd.release`: gives the order's stock back; always answers `inventory.released`. */
export function releaseStockHandler({ orm, metrics }: { orm: Orm; metrics: InventoryMetrics }): EventHandler {
  return async (event, ctx) => {
    const command = commandOf(event)
    const result = await processOnce(orm, { consumer, eventId: event.id }, (em) => releaseStock(em, command.orderId))
    if (result.duplicate) return ctx.logger.debug('release command already processed')
    report(result.result, command, metrics, ctx.logger)
  }
}

/** The same for a batch of commands, in one transaction (see `commandBatchHandler`). */
export function releaseStockBatchHandler({ orm, metrics }: { orm: Orm; metrics: InventoryMetrics }): BatchHandler {
  return commandBatchHandler({
    orm,
    consumer,
    commandOf,
    run: (em, command) => releaseStock(em, command.orderId),
    report: (outcome, command, { logger }) => report(outcome, command, metrics, logger),
  })
}

function commandOf(event: CloudEvent): ReleaseCommand {
  if (!isEventOf(ReleaseStock, event)) throw new PermanentError(`${consumer} handles ${ReleaseStock.type}, not ${event.type}`)
  return event.data
}

function report(outcome: ReleaseOutcome, command: ReleaseCommand, metrics: InventoryMetrics, logger: Logger): void {
  if (outcome === 'released' || outcome === 'restocked') metrics.reservation('released')
  logger.info({ outcome, reason: command.reason }, 'release processed')
}
