// db_pool_* report each pool of a registry: the hot path's, the ORM's, the relay's — read from
// the pool's own counters when scraped.
import t from 'tap'
import { sql } from 'kysely'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createOrm, inTransaction, openSqlDb, OutboxMessage, startOutboxRelay } from '@orderflow/db'
import { watchPool } from '../src/pool.metrics.js'
import { setupDatabase } from './fixtures/helpers.js'
import { Widget } from './fixtures/widget.entity.js'

const { url } = await setupDatabase(t)
const logger = pino({ level: 'silent' })

/** `{ "<pool>/<state>": value }` of one gauge; `state` only where it has one. */
async function gauge(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>
  return Object.fromEntries(values.map((v) => [[v.labels.pool, v.labels.state].filter(Boolean).join('/'), v.value]))
}

void t.test('the hot-path pool: busy, idle, waiting and its size', async (t) => {
  const registry = new Registry()
  const db = openSqlDb({ url, poolSize: 2, logger, registry })
  t.teardown(() => db.destroy())
  t.same(await gauge(registry, 'db_pool_max_connections'), { 'hot-path': 2 })

  // Both connections held by transactions, a third caller queued behind them.
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const holders = [1, 2].map(() => inTransaction(db, async (tx) => { await sql`select 1`.execute(tx); await held }))
  const queued = sql`select 1`.execute(db)
  await new Promise((r) => setTimeout(r, 100))
  t.same(await gauge(registry, 'db_pool_connections'), { 'hot-path/busy': 2, 'hot-path/idle': 0 }, 'both connections checked out')
  t.same(await gauge(registry, 'db_pool_waiting_requests'), { 'hot-path': 1 }, 'the third caller waits')

  release()
  await Promise.all([...holders, queued])
  t.same(await gauge(registry, 'db_pool_connections'), { 'hot-path/busy': 0, 'hot-path/idle': 2 }, 'given back, kept open')
  t.same(await gauge(registry, 'db_pool_waiting_requests'), { 'hot-path': 0 })

  await db.destroy()
  t.same(await gauge(registry, 'db_pool_connections'), {}, 'a closed pool is no longer reported')
})

void t.test('the ORM and the outbox relay report their pools on the same registry', async (t) => {
  const registry = new Registry()
  const orm = await createOrm({ url, entities: [Widget, OutboxMessage], poolSize: 3, registry })
  t.teardown(() => orm.close())
  const relay = await startOutboxRelay({ url, logger, registry, poolSize: 2, publish: async (batch) => batch.map(() => ({ ok: true as const })) })
  t.teardown(() => relay.stop())
  t.same(await gauge(registry, 'db_pool_max_connections'), { orm: 3, 'outbox-relay': 2 })
  t.match(await gauge(registry, 'db_pool_connections'), { 'orm/busy': 0, 'orm/idle': Number, 'outbox-relay/busy': Number })

  await relay.stop()
  t.same(Object.keys(await gauge(registry, 'db_pool_max_connections')), ['orm'], 'a stopped relay drops out')
})

void t.test('a pool of the same name replaces the one before; the old undo leaves the new one', async (t) => {
  const registry = new Registry()
  const pool = (max: number) => ({ totalCount: 1, idleCount: 1, waitingCount: 0, options: { max } })
  const undoFirst = watchPool(registry, 'orm', pool(4))
  watchPool(registry, 'orm', pool(6))
  undoFirst()
  t.same(await gauge(registry, 'db_pool_max_connections'), { orm: 6 })
})
