import type { Orm } from '@orderflow/db'
import { problemResponse, requireAnyRole, requireRoles, type Plugin } from '@orderflow/http'
import { InventoryErrors } from '../inventory.errors.js'
import { findOrderReservation, findStock, listStock } from '../repositories/stock.repository.js'
import { decodeCursor } from '../repositories/stock-cursor.js'
import { MAX_UNITS } from '../domain/stock-change.js'
import { changeStock } from '../use-cases/change-stock.js'
import { toReservationView, toStockView } from './inventory-views.js'
import { ListStockQuery, PutStockBody, ReservationQuery, ReservationView, SkuParams, StockList, StockView } from './inventory.schemas.js'

const skuNotFound = (sku: string) => InventoryErrors.SKU_NOT_FOUND({ detail: `There is no stock record for ${sku}.`, extra: { sku } })

/** Reading stock and reservations: `inventory:read`, or `inventory:write` (who counts stock sees it). */
const reader = requireAnyRole('inventory:read', 'inventory:write')

/**
 * The stock API, mounted under `/v1` inside `protectedRoutes`: reading takes `inventory:read` (or
 * `inventory:write`), changing a count `inventory:write`; customers have no access. `/inventory/reservations` is a static route, so it wins over
 * `/inventory/:sku` (a SKU named `reservations` cannot be read through this API).
 */
export const inventoryRoutes: Plugin<{ orm: Orm }> = async (app, { orm }) => {
  app.get(
    '/inventory/reservations',
    {
      onRequest: reader,
      schema: {
        summary: "An order's reservation: its verdict and lines",
        tags: ['inventory'],
        querystring: ReservationQuery,
        response: { 200: ReservationView, 400: problemResponse('Missing or malformed orderId'), 404: problemResponse('The inventory never heard of the order') },
      },
    },
    async (request) => {
      const { orderId } = request.query
      const found = await findOrderReservation(orm.em.fork(), orderId)
      if (!found) throw InventoryErrors.RESERVATION_NOT_FOUND({ detail: `No reserve command for order ${orderId} has been processed.`, extra: { orderId } })
      return toReservationView(found.hold, found.lines)
    },
  )

  app.get(
    '/inventory/:sku',
    {
      onRequest: reader,
      schema: {
        summary: "A SKU's stock: on hand, reserved and available",
        tags: ['inventory'],
        params: SkuParams,
        response: { 200: StockView, 400: problemResponse('Malformed SKU'), 404: problemResponse('No such SKU') },
      },
    },
    async (request) => {
      const stock = await findStock(orm.em.fork(), request.params.sku)
      if (!stock) throw skuNotFound(request.params.sku)
      return toStockView(stock)
    },
  )

  app.get(
    '/inventory',
    {
      onRequest: reader,
      schema: {
        summary: 'List stock by SKU',
        tags: ['inventory'],
        querystring: ListStockQuery,
        response: { 200: StockList, 400: problemResponse('Invalid limit or cursor') },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query
      const after = cursor === undefined ? undefined : decodeCursor(cursor)
      if (cursor !== undefined && after === undefined) throw InventoryErrors.INVALID_CURSOR({ detail: 'Pass a nextCursor from a previous page unchanged.' })
      const page = await listStock(orm.em.fork(), { after, limit })
      return { items: page.items.map(toStockView), nextCursor: page.nextCursor }
    },
  )

  app.put(
    '/inventory/:sku',
    {
      onRequest: requireRoles('inventory:write'),
      schema: {
        summary: "Set or adjust a SKU's stock on hand",
        description: '`set` records a count (creating the SKU the first time); `adjust` moves it by a delta. Never below what is reserved.',
        tags: ['inventory'],
        params: SkuParams,
        body: PutStockBody,
        response: {
          200: StockView,
          201: StockView,
          400: problemResponse('Malformed SKU or body'),
          404: problemResponse('Adjusting a SKU that does not exist'),
          409: problemResponse('The change would leave less on hand than is reserved, or more than 1,000,000,000'),
        },
      },
    },
    async (request, reply) => {
      const { sku } = request.params
      const result = await orm.em.fork().transactional((em) => changeStock(em, sku, request.body, request.user.sub))
      if (result.kind === 'not-found') throw skuNotFound(sku)
      if (result.kind === 'below-reserved') {
        throw InventoryErrors.STOCK_BELOW_RESERVED({
          detail: `${sku} would have ${result.onHand} on hand but ${result.stock.reserved} are reserved for orders.`,
          extra: { sku, onHand: result.stock.onHand, reserved: result.stock.reserved, requestedOnHand: result.onHand },
        })
      }
      if (result.kind === 'above-limit') {
        throw InventoryErrors.STOCK_ABOVE_LIMIT({
          detail: `${sku} would have ${result.onHand} on hand, more than ${MAX_UNITS}.`,
          extra: { sku, onHand: result.stock.onHand, requestedOnHand: result.onHand, maxUnits: MAX_UNITS },
        })
      }
      return reply.code(result.created ? 201 : 200).send(toStockView(result.stock))
    },
  )
}
