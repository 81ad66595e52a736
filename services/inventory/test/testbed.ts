import type { Static, TSchema } from 'typebox'
import { makeEvent, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import type { BatchTx } from '@orderflow/db'
import type { Consumer } from '@orderflow/messaging'
import { handleBatch, serviceTestbed, type ServiceTestbed } from '@orderflow/testing/service'
import type { InventoryConfigSchema } from '../src/config.js'
import { commitStockConsumer } from '../src/consumers/commit-stock.consumer.js'
import { releaseStockConsumer } from '../src/consumers/release-stock.consumer.js'
import { reserveStockConsumer } from '../src/consumers/reserve-stock.consumer.js'
import { inventoryMetrics } from '../src/inventory.metrics.js'
import { inventoryService } from '../src/service.js'

export { eventually } from '@orderflow/testing/service'

export type InventoryConfig = Static<typeof InventoryConfigSchema>

interface TestLike {
  teardown(fn: () => unknown): void
}

export interface StockRow {
  onHand: number
  reserved: number
}

export interface OutboxEvent {
  type: string
  data: Record<string, unknown>
}

export interface InventoryTestbed extends ServiceTestbed<InventoryConfig> {
  /** Creates or overwrites a SKU's counters directly in the database. */
  seed(sku: string, onHand: number, reserved?: number): Promise<void>
  /** A SKU's counters, or undefined. */
  stock(sku: string): Promise<StockRow | undefined>
  /** The events enqueued about an order, oldest first. */
  events(orderId: string): Promise<OutboxEvent[]>
  /** An order's hold status, or undefined. */
  hold(orderId: string): Promise<string | undefined>
}

/**
 * The inventory service as the runtime builds it (see serviceTestbed): a fresh, migrated database
 * and a NATS namespace of its own, the test JWT secrets. Nothing runs in the background until
 * `startWorkers`; a batch handled with `handleBatch` publishes its events right after its commit.
 */
export async function inventoryTestbed(t: TestLike, env: Record<string, string> = {}): Promise<InventoryTestbed> {
  const tb = await serviceTestbed(t, inventoryService, env)
  const em = () => tb.orm.em.fork()
  return Object.assign(tb, {
    async seed(sku: string, onHand: number, reserved = 0) {
      await em().execute(
        `insert into stock (sku, on_hand, reserved, version, updated_at) values (?, ?, ?, 1, now())
         on conflict (sku) do update set on_hand = excluded.on_hand, reserved = excluded.reserved`,
        [sku, onHand, reserved],
      )
    },
    async stock(sku: string) {
      const [row] = await em().execute<{ on_hand: number; reserved: number }[]>('select on_hand, reserved from stock where sku = ?', [sku])
      return row ? { onHand: row.on_hand, reserved: row.reserved } : undefined
    },
    async events(orderId: string) {
      const rows = await em().execute<{ type: string; payload: { data: Record<string, unknown> } }[]>(
        `select type, payload from outbox where payload->>'subject' = ? order by seq`,
        [orderId],
      )
      return rows.map((r) => ({ type: r.type, data: r.payload.data }))
    },
    async hold(orderId: string) {
      const [row] = await em().execute<{ status: string }[]>('select status from order_holds where order_id = ?', [orderId])
      return row?.status
    },
  })
}

export interface InventoryConsumers {
  reserve: ReturnType<typeof reserveStockConsumer>
  release: ReturnType<typeof releaseStockConsumer>
  commit: ReturnType<typeof commitStockConsumer>
}

/** The three command consumers as service.ts binds them, sharing the testbed's metrics. */
export function inventoryConsumers(tb: InventoryTestbed, ttlSeconds = 900): InventoryConsumers {
  const deps = { logger: tb.ctx.logger, metrics: inventoryMetrics(tb.ctx.registry) }
  return { reserve: reserveStockConsumer({ ...deps, ttlSeconds }), release: releaseStockConsumer(deps), commit: commitStockConsumer(deps) }
}

/** Handles `events` as one batch of `consumer`, as the runner does (see handleBatch). */
export function handle<E extends CloudEvent>(tb: InventoryTestbed, consumer: Consumer<E, BatchTx>, events: readonly E[], deliveryCount = 1): Promise<void> {
  return handleBatch(tb.ctx, consumer, events, deliveryCount)
}

/** A command or event as another service would send it. */
export function command<S extends TSchema>(def: MessageDefinition<S>, orderId: string, data: Static<S>): CloudEvent<Static<S>> {
  return makeEvent(def, { source: 'orderflow/test', subject: orderId, data })
}

/** A unique SKU for one test, so tests in a file never share stock. */
let skuCounter = 0
export function sku(name = 'SKU'): string {
  skuCounter += 1
  return `${name}-${process.pid}-${skuCounter}`
}
