import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { splitList } from '@orderflow/config'
import { createOrm, createOutboxPublisher, openSqlDb, type Orm, type OutboxPublisher, type SqlDb } from '@orderflow/db'
import {
  connectBus,
  createDeadLetters,
  createPublisher,
  createTopology,
  type Bus,
  type DeadLetters,
  type Publisher,
  type Topology,
} from '@orderflow/messaging'
import type { PublishBatch } from '@orderflow/db'
import type { ServiceDefinition } from './service-definition.js'
import type { ServiceConfig } from './service-settings.js'

/** What a service's routes, handlers and workers are given: its config and its connections. */
export interface ServiceContext<C extends ServiceConfig = ServiceConfig> {
  readonly name: string
  readonly config: C
  readonly logger: Logger
  /** The one registry `/metrics` serves. */
  readonly registry: Registry
  readonly orm: Orm
  /** The same database through Kysely without the ORM, for hot paths (intake, consumers). */
  readonly db: SqlDb
  /** Publishes what a committed transaction put in the outbox, right after the commit. */
  readonly outbox: OutboxPublisher
  readonly bus: Bus
  /** Streams and subjects of the configured `NATS_NAMESPACE`. */
  readonly topology: Topology
  /** Publishes into the namespace; services publish through their outbox, operators' tools directly. */
  readonly publisher: Publisher
  readonly deadLetters: DeadLetters
}

/** Opens the service's database pool and NATS connection; `close` ends both. */
export async function openServiceContext<C extends ServiceConfig>(
  def: Pick<ServiceDefinition, 'name' | 'entities'>,
  config: C,
  logger: Logger,
): Promise<{ ctx: ServiceContext<C>; close: () => Promise<void> }> {
  const registry = new Registry()
  const orm = await createOrm({ url: config.DATABASE_URL, entities: def.entities, poolSize: config.DATABASE_POOL_SIZE, logger, registry })
  let bus: Bus
  try {
    bus = await connectBus({ servers: splitList(config.NATS_URL), name: def.name, logger, user: config.NATS_USER, pass: config.NATS_PASSWORD })
  } catch (error) {
    await orm.close()
    throw error
  }
  const topology = createTopology(config.NATS_NAMESPACE)
  const { stream, subjectPrefix } = topology.deadLetters
  const publisher = createPublisher(bus, { registry, topology })
  const db: SqlDb = openSqlDb({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, logger, registry })
  const ctx: ServiceContext<C> = {
    name: def.name,
    config,
    logger,
    registry,
    orm,
    db,
    outbox: createOutboxPublisher({ db, logger, registry, publish: publishOutboxRows(publisher, topology) }),
    bus,
    topology,
    publisher,
    deadLetters: createDeadLetters(bus, { stream, subjectPrefix, registry }),
  }
  const close = async (): Promise<void> => {
    await ctx.outbox.flush()
    ctx.deadLetters.close()
    await db.destroy()
    await orm.close()
    await bus.close()
  }
  return { ctx, close }
}

/** Outbox rows as the publisher takes them: checked when they were made, on their stored subject in the namespace. */
export function publishOutboxRows(publisher: Publisher, topology: Topology): PublishBatch {
  return (batch) => publisher.publishMany(batch.map((r) => ({ event: r.event, subject: topology.subject(r.subject), headers: r.headers, checked: true })))
}
