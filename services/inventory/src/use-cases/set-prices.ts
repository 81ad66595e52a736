import { makeEvent, SkuPriced } from '@orderflow/contracts'
import { enqueueEvents, type Orm, type OutboxPublisher } from '@orderflow/db'
import { byCurrency, repeatedCurrency, type Price } from '../domain/price-list.js'
import { EVENT_SOURCE } from '../service-info.js'

/** Where a price PUT writes: the service's ORM, and its publisher of committed outbox rows. */
export interface SetPricesDeps {
  readonly orm: Orm
  readonly outbox: Pick<OutboxPublisher, 'publishCommitted'>
}

/** A SKU's price list as it now stands. */
export interface PriceListState {
  readonly sku: string
  readonly prices: readonly Price[]
  readonly version: number
  readonly updatedAt: Date
}

export type SetPricesResult = { readonly kind: 'priced'; readonly list: PriceListState } | { readonly kind: 'repeated-currency'; readonly currency: string }

// ON CONFLICT DO UPDATE locks the row and, under READ COMMITTED, increments the version a
// concurrent PUT has just committed: two PUTs of one SKU end with versions n+1 and n+2, never
// two n+1. It locks nothing else, so it cannot deadlock with the stock writers.
const UPSERT = `insert into price_lists as l (sku, prices, version, updated_at) values (?, ?::jsonb, 1, ?::timestamptz)
  on conflict (sku) do update set prices = excluded.prices, version = l.version + 1, updated_at = excluded.updated_at
  returning l.version`

/**
 * Replaces a SKU's price list: in one transaction the list with its version + 1 (1 for a SKU
 * never priced) and its `SkuPriced` event in the outbox, published right after the commit. Every
 * PUT is a change, even one that sends the list as it was: it gets a version and an event
 * (harmless: readers keep the newest), which keeps the write a single statement. A list that
 * names a currency twice is refused before anything is written.
 */
export async function setPrices(deps: SetPricesDeps, sku: string, prices: readonly Price[]): Promise<SetPricesResult> {
  const currency = repeatedCurrency(prices)
  if (currency !== undefined) return { kind: 'repeated-currency', currency }
  const list = byCurrency(prices)
  const updatedAt = new Date()
  const { version, rows } = await deps.orm.em.fork().transactional(async (em) => {
    const [row] = await em.execute<{ version: number }[]>(UPSERT, [sku, JSON.stringify(list), updatedAt.toISOString()])
    if (!row) throw new Error(`the price list upsert of ${sku} returned no row`)
    const event = makeEvent(SkuPriced, { source: EVENT_SOURCE, subject: sku, data: { sku, prices: list, version: row.version } })
    return { version: row.version, rows: enqueueEvents(em, [event]) }
  })
  deps.outbox.publishCommitted(rows)
  return { kind: 'priced', list: { sku, prices: list, version, updatedAt } }
}
