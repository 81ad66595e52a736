import type { Orm, OutboxPublisher } from '@orderflow/db'
import { problemResponse, requireAnyRole, requireRoles, type Plugin } from '@orderflow/http'
import { InventoryErrors } from '../inventory.errors.js'
import { findPriceList } from '../repositories/price-list.repository.js'
import { setPrices } from '../use-cases/set-prices.js'
import { toPriceListView } from './inventory-views.js'
import { PriceListView, PutPricesBody, SkuParams } from './inventory.schemas.js'

export interface PriceRoutesOptions {
  readonly orm: Orm
  /** Publishes a PUT's `SkuPriced` event right after its commit. */
  readonly outbox: Pick<OutboxPublisher, 'publishCommitted'>
}

/**
 * The price lists, mounted under `/v1` inside `protectedRoutes`, with the stock API's roles:
 * reading takes `inventory:read` (or `inventory:write`), replacing a list `inventory:write`;
 * customers have no access. The inventory owns the prices; the order service prices an order
 * from the `SkuPriced` events each PUT publishes.
 */
export const priceRoutes: Plugin<PriceRoutesOptions> = async (app, { orm, outbox }) => {
  app.get(
    '/inventory/:sku/prices',
    {
      onRequest: requireAnyRole('inventory:read', 'inventory:write'),
      schema: {
        summary: "A SKU's price list: its unit price in each currency it is sold in",
        tags: ['prices'],
        params: SkuParams,
        response: { 200: PriceListView, 400: problemResponse('Malformed SKU'), 404: problemResponse('The SKU was never priced') },
      },
    },
    async (request) => {
      const { sku } = request.params
      const list = await findPriceList(orm.em.fork(), sku)
      if (!list) throw InventoryErrors.PRICE_LIST_NOT_FOUND({ detail: `${sku} has never been priced.`, extra: { sku } })
      return toPriceListView(list)
    },
  )

  app.put(
    '/inventory/:sku/prices',
    {
      onRequest: requireRoles('inventory:write'),
      schema: {
        summary: "Replace a SKU's price list",
        description:
          'The list replaces the current one whole, one price per currency in its minor units; an empty list takes the SKU off sale. ' +
          'Every PUT, even of the list as it was, counts a new `version` and publishes `inventory.evt.priced` with the whole list. ' +
          'A SKU may be priced before it is stocked.',
        tags: ['prices'],
        params: SkuParams,
        body: PutPricesBody,
        response: {
          200: PriceListView,
          400: problemResponse('Malformed SKU or body (VALIDATION_FAILED), or a currency named twice (DUPLICATE_CURRENCY)'),
        },
      },
    },
    async (request) => {
      const { sku } = request.params
      const result = await setPrices({ orm, outbox }, sku, request.body.prices)
      if (result.kind === 'repeated-currency') {
        throw InventoryErrors.DUPLICATE_CURRENCY({
          detail: `The list prices ${sku} in ${result.currency} more than once; send one price per currency.`,
          extra: { sku, currency: result.currency },
        })
      }
      return toPriceListView(result.list)
    },
  )
}
