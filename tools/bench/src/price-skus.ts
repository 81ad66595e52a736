import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { OrderApi } from './order-api.js'

/** What every benchmark SKU costs: the price its orders are placed at. */
export const BENCH_PRICE = { currency: 'EUR', unitPrice: 1250 } as const

export interface PriceSkusOptions {
  readonly api: OrderApi
  /** `postgres://…/<prefix>_order`: where the order service keeps its copy of the price lists. */
  readonly orderDatabaseUrl: string
  readonly skus: readonly string[]
  /**
   * Whether the inventory service runs: then the lists are set through its API, as an operator
   * would, and reach the order service by its events. The intake sandbox runs the order service
   * alone, so there the lists are written into the order database as those events would.
   */
  readonly viaInventory: boolean
  /** How long the order service may take to have every list. @default 30000 */
  readonly timeoutMs?: number
}

/**
 * Prices the benchmark's SKUs and waits until the order service would price orders from them:
 * an order for a SKU intake does not know yet is refused (SKU_NOT_PRICED), which would count as
 * a failed request in the first second of a run.
 */
export async function priceSkus(opts: PriceSkusOptions): Promise<void> {
  const db = new pg.Client({ connectionString: opts.orderDatabaseUrl })
  await db.connect()
  try {
    if (opts.viaInventory) {
      for (const sku of opts.skus) await opts.api.setPrices(sku, [BENCH_PRICE])
    } else {
      await db.query(
        `insert into price_lists (sku, version, prices, updated_at) select sku, 1, $2::jsonb, now() from unnest($1::text[]) as sku
         on conflict (sku) do update set prices = excluded.prices, version = price_lists.version + 1, updated_at = now()`,
        [opts.skus, JSON.stringify([BENCH_PRICE])],
      )
    }
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
    for (;;) {
      const { rows } = await db.query<{ n: string }>('select count(*) as n from price_lists where sku = any($1::text[]) and prices @> $2::jsonb', [
        opts.skus,
        JSON.stringify([BENCH_PRICE]),
      ])
      if (Number(rows[0]?.n) === opts.skus.length) return
      if (Date.now() > deadline) throw new Error(`the order service has ${rows[0]?.n ?? 0} of the ${opts.skus.length} price lists after ${opts.timeoutMs ?? 30_000} ms`)
      await sleep(100)
    }
  } finally {
    await db.end()
  }
}
