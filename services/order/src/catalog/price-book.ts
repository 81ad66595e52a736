import type { SqlDb } from '@orderflow/db'
import { LRUCache } from 'lru-cache'
import type { ListedPrice } from '../entities/price-list.entity.js'
import { readPriceLists } from './price-lists.sql.js'

export interface PriceBookOptions {
  readonly db: SqlDb
  /** How long a list read from the database is used before it is read again. */
  readonly ttlMs: number
  /** Lists kept at most. @default 10000 */
  readonly maxSkus?: number
}

/** The price lists intake prices orders from. */
export interface PriceBook {
  /** The lists of these SKUs; a SKU without one is absent. */
  listsOf(skus: readonly string[]): Promise<ReadonlyMap<string, readonly ListedPrice[]>>
}

/**
 * The price lists of the order database (kept from the inventory's events), each kept in memory
 * for `ttlMs`: a busy shop sells the same SKUs again and again, and reading their lists for every
 * order would add a statement to each intake. A change reaches intake within the event's trip
 * plus `ttlMs`, the same kind of delay the read model has anyway. A SKU without a list is not
 * remembered, so a list that has just arrived is used at once.
 */
export function priceBook(opts: PriceBookOptions): PriceBook {
  const cache = new LRUCache<string, readonly ListedPrice[]>({ max: opts.maxSkus ?? 10_000, ttl: opts.ttlMs })
  return {
    async listsOf(skus) {
      const found = new Map<string, readonly ListedPrice[]>()
      const missing: string[] = []
      for (const sku of new Set(skus)) {
        const cached = cache.get(sku)
        if (cached) found.set(sku, cached)
        else missing.push(sku)
      }
      if (missing.length === 0) return found
      const { rows } = await readPriceLists(missing).execute(opts.db)
      for (const row of rows) {
        cache.set(row.sku, row.prices)
        found.set(row.sku, row.prices)
      }
      return found
    },
  }
}
