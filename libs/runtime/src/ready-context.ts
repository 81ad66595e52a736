import type { Logger } from 'pino'
import type { TObject } from 'typebox'
import { DbError, unappliedMigrations } from '@orderflow/db'
import { BusConnectError, deadLetterCopierConsumer } from '@orderflow/messaging'
import { openServiceContext, type ServiceContext } from './service-context.js'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'
import { DependencyUnavailable } from './wait-for-dependencies.js'

/** JetStream's API error code for "consumer not found" (`JetStreamApiCodes.ConsumerNotFound`). */
const CONSUMER_NOT_FOUND = 10014

/** What {@link openServiceContext} returns: the context, and how to close its connections. */
export interface OpenedContext<C extends ServiceConfig> {
  readonly ctx: ServiceContext<C>
  readonly close: () => Promise<void>
}

/**
 * Opens the service's context and checks that what its code expects is in place: every
 * migration applied (the migrate job may not have run yet) and its durable consumers declared
 * (nor the provision job). Otherwise it closes what it opened and throws
 * {@link DependencyUnavailable} naming what is missing; other errors (a bug, a broken entity)
 * are thrown as they are.
 */
export async function openReadyContext<C extends ServiceConfig>(
  def: Pick<ServiceDefinition<TObject, C>, 'name' | 'entities' | 'migrationsPath' | 'consumers'>,
  config: C,
  logger: Logger,
): Promise<OpenedContext<C>> {
  let opened: OpenedContext<C>
  try {
    opened = await openServiceContext(def, config, logger)
  } catch (error) {
    if (error instanceof DbError) throw new DependencyUnavailable('database', rootMessage(error), { cause: error })
    if (error instanceof BusConnectError) throw new DependencyUnavailable('nats', rootMessage(error), { cause: error })
    throw error
  }
  try {
    await checkSchema(def, opened.ctx)
    await checkConsumers(def, opened.ctx)
    return opened
  } catch (error) {
    await opened.close().catch((closeError: unknown) => logger.warn({ err: closeError }, 'closing the connections of a failed start failed'))
    throw error
  }
}

async function checkSchema(def: Pick<ServiceDefinition, 'migrationsPath'>, ctx: ServiceContext): Promise<void> {
  let pending: string[]
  try {
    pending = await unappliedMigrations(ctx.orm, def.migrationsPath)
  } catch (error) {
    // Connected a moment ago: a failure now is the server going away again, or a grant missing.
    throw new DependencyUnavailable('database', rootMessage(error), { cause: error })
  }
  if (pending.length > 0) {
    const count = pending.length === 1 ? '1 migration pending' : `${pending.length} migrations pending`
    throw new DependencyUnavailable('database schema', `${count} (run migrate up): ${pending.join(', ')}`)
  }
}

/**
 * The consumers the service will pull from must exist: the runner refuses to start without
 * them. The dead-letter copier declares its own consumer, but needs its stream. Asked consumer
 * by consumer: that is what a service's NATS user may ask about.
 */
async function checkConsumers<C extends ServiceConfig>(def: Pick<ServiceDefinition<TObject, C>, 'consumers'>, ctx: ServiceContext<C>): Promise<void> {
  const { jsm } = ctx.bus
  const missing: string[] = []
  for (const binding of def.consumers ?? []) {
    const { stream, durable } = ctx.topology.consumer(binding.spec)
    await jsm.consumers.info(stream, durable).catch((error: unknown) => missing.push(`${stream}/${durable} (${rootMessage(error)})`))
  }
  if (ctx.config.DLQ_COPIER_ENABLED) {
    const { stream, durable } = deadLetterCopierConsumer({ advisoryStream: ctx.topology.deadLetters.advisoryStream })
    await jsm.consumers.info(stream, durable).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== CONSUMER_NOT_FOUND) missing.push(`${stream} (${rootMessage(error)})`)
    })
  }
  if (missing.length > 0) throw new DependencyUnavailable('nats streams', `not provisioned (run provision): ${missing.join(', ')}`)
}

/**
 * The innermost message: the driver's own (`connect ECONNREFUSED 10.0.0.5:5432`) rather than
 * our wrapper's, which for NATS lists the server URLs and with them any credentials in them.
 */
export function rootMessage(error: unknown): string {
  let message = String(error)
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) message = e.message
  return message
}
