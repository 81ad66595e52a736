import { sql, type RawBuilder } from 'kysely'
import type { ListedPrice } from '../entities/price-list.entity.js'

/** A SKU's price list as a `SkuPriced` event tells it. */
export interface PriceListRow {
  readonly sku: string
  readonly version: number
  readonly prices: readonly ListedPrice[]
}

/**
 * Keeps the newest list of each SKU: a list replaces the stored one only when its version is
 * higher, so an event seen again, or late, changes nothing. One row per SKU (ON CONFLICT may
 * touch a row once per statement): see {@link newestPerSku}.
 */
export function writePriceLists(lists: readonly PriceListRow[]): RawBuilder<unknown> {
  return sql`insert into price_lists (sku, version, prices, updated_at)
    select l.sku, l.version, l.prices, now()
      from jsonb_to_recordset(${JSON.stringify(lists)}::jsonb) as l(sku text, version int, prices jsonb)
     order by l.sku collate "C"
    on conflict (sku) do update set version = excluded.version, prices = excluded.prices, updated_at = excluded.updated_at
     where price_lists.version < excluded.version`
}

/** The lists of the given SKUs, for intake. */
export function readPriceLists(skus: readonly string[]): RawBuilder<PriceListRow> {
  return sql<PriceListRow>`select sku, version, prices from price_lists where sku = any(${[...skus]}::text[])`
}

/** Of several lists of one SKU (a batch holding two changes), the newest. */
export function newestPerSku(lists: readonly PriceListRow[]): PriceListRow[] {
  const newest = new Map<string, PriceListRow>()
  for (const list of lists) {
    const seen = newest.get(list.sku)
    if (!seen || seen.version < list.version) newest.set(list.sku, list)
  }
  return [...newest.values()]
}
