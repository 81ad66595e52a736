import type { Static, TSchema } from 'typebox'
import { loadConfig } from '@orderflow/config'
import { makeEvent, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import { migrationCommand, type Orm } from '@orderflow/db'
import type { App } from '@orderflow/http'
import { buildServiceApp, openServiceContext, type ServiceContext } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { createTestDatabase, mintToken, TEST_JWT_SECRETS, TEST_NATS_URL, type TokenOptions } from '@orderflow/testing'
import { InventoryConfigSchema } from '../src/config.js'
import { inventoryEntities } from '../src/entities/entities.js'
import { inventoryService } from '../src/service.js'

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

export interface InventoryTestbed {
  app: App
  orm: Orm
  config: InventoryConfig
  ctx: ServiceContext<InventoryConfig>
  /** A bearer header for a token with the given roles (and other options). */
  auth(roles: readonly string[], opts?: Omit<TokenOptions, 'roles'>): { authorization: string }
  /** Creates or overwrites a SKU's counters directly in the database. */
  seed(sku: string, onHand: number, reserved?: number): Promise<void>
  /** A SKU's counters, or undefined. */
  stock(sku: string): Promise<StockRow | undefined>
  /** The events enqueued about an order, oldest first. */
  events(orderId: string): Promise<OutboxEvent[]>
}

export const migrationsPath = new URL('../src/migrations/', import.meta.url)

/** A migrated database of its own for one test file. */
export async function migratedDatabase(t: TestLike): Promise<string> {
  const url = await createTestDatabase(t, 'of_inventory')
  const code = await migrationCommand(['up'], { url, entities: inventoryEntities, migrationsPath, out: () => undefined })
  if (code !== 0) throw new Error(`migrations failed with exit code ${code}`)
  return url
}

/**
 * The inventory service as the runtime builds it, on a fresh, migrated database of its own, with
 * the test JWT secrets. Nothing runs in the background: events wait in the outbox.
 */
export async function inventoryTestbed(t: TestLike, env: Record<string, string> = {}): Promise<InventoryTestbed> {
  const url = await migratedDatabase(t)
  const config = loadConfig(InventoryConfigSchema, { DATABASE_URL: url, NATS_URL: TEST_NATS_URL, JWT_SECRETS: TEST_JWT_SECRETS.join(','), ...env })
  const { ctx, close } = await openServiceContext(inventoryService, config, createLogger({ serviceName: 'inventory-test', level: 'silent' }))
  t.teardown(() => close())
  const app = buildServiceApp(inventoryService, ctx)
  t.teardown(() => app.close())
  await app.ready()
  const em = () => ctx.orm.em.fork()
  return {
    app,
    orm: ctx.orm,
    config,
    ctx,
    auth: (roles, opts = {}) => ({ authorization: `Bearer ${mintToken({ ...opts, roles })}` }),
    async seed(sku, onHand, reserved = 0) {
      await em().execute(
        `insert into stock (sku, on_hand, reserved, version, updated_at) values (?, ?, ?, 1, now())
         on conflict (sku) do update set on_hand = excluded.on_hand, reserved = excluded.reserved`,
        [sku, onHand, reserved],
      )
    },
    async stock(sku) {
      const [row] = await em().execute<{ on_hand: number; reserved: number }[]>('select on_hand, reserved from stock where sku = ?', [sku])
      return row ? { onHand: row.on_hand, reserved: row.reserved } : undefined
    },
    async events(orderId) {
      const rows = await em().execute<{ type: string; payload: { data: Record<string, unknown> } }[]>(
        `select type, payload from outbox where payload->>'subject' = ? order by seq`,
        [orderId],
      )
      return rows.map((r) => ({ type: r.type, data: r.payload.data }))
    },
  }
}

/** A command or event as another service would send it. */
export function command<S extends TSchema>(def: MessageDefinition<S>, orderId: string, data: Static<S>): CloudEvent {
  return makeEvent(def, { source: 'orderflow/test', subject: orderId, data })
}

/** What the consumer runner hands a handler, for calling handlers directly. */
export { handlerContext } from '@orderflow/testing/service'

/** A unique SKU for one test, so tests in a file never share stock. */
let skuCounter = 0
export function sku(name = 'SKU'): string {
  skuCounter += 1
  return `${name}-${process.pid}-${skuCounter}`
}
