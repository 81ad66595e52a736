import type { Orm, OutboxPublisher, SqlDb } from '@orderflow/db'
import { CUSTOMER_ROLE, customerScope, problemResponse, requireAnyRole, requireRoles, type Plugin } from '@orderflow/http'
import { OrderErrors } from '../order.errors.js'
import type { OrderMetrics } from '../order.metrics.js'
import { findOrderWithDetails, listOrders } from '../repositories/orders.repository.js'
import { decodeCursor, hasFilters, sameFilters } from '../repositories/order-cursor.js'
import { intakeWrites } from '../repositories/intake-writes.js'
import { requestCancel } from '../use-cases/request-cancel.js'
import type { ClaimTimes } from '../idempotency/idempotency-store.js'
import type { SagaMetrics } from '../saga/saga.metrics.js'
import type { SagaTimings } from '../saga/saga.js'
import { Order } from '../entities/order.entity.js'
import { Saga } from '../entities/saga.entity.js'
import { toSagaView } from './saga-view.js'
import { SagaView } from './saga.schemas.js'
import { createOrder } from './create-order.js'
import type { PriceBook } from '../catalog/price-book.js'
import { listFilters } from './list-filters.js'
import { orderLinks, toOrderView, toSummaryView } from './order-view.js'
import {
  CancelAccepted,
  CancelOrderBody,
  CreateOrderBody,
  DEFAULT_PAGE_SIZE,
  IdempotencyKeyHeader,
  ListOrdersQuery,
  OrderIdParams,
  OrderList,
  OrderView,
} from './orders.schemas.js'

export interface OrderRoutesOptions {
  orm: Orm
  /** The database without the ORM, for intake and cancel (each a statement or two). */
  db: SqlDb
  /** Publishes what intake and cancel commit to the outbox, right after the commit. */
  outbox: OutboxPublisher
  /** How long an Idempotency-Key is remembered, and held by an unfinished first request. */
  idempotency: ClaimTimes
  metrics: OrderMetrics
  sagaMetrics: SagaMetrics
  /** The saga's step timeout and give-up time, for the deadlines intake and cancel set. */
  timings: SagaTimings
  /** The price lists every order is priced from. */
  prices: PriceBook
}

const notFound = (id: string) => OrderErrors.ORDER_NOT_FOUND({ detail: `There is no order ${id}.`, extra: { orderId: id } })

/**
 * The order API, mounted under `/v1` inside `protectedRoutes`. Staff (`orders:read`,
 * `orders:write`) reach every order; a customer token (role `customer`) places orders for its own
 * `sub` and reads, lists and cancels only its own — another customer's order is a 404, so its
 * existence is not disclosed.
 */
export const orderRoutes: Plugin<OrderRoutesOptions> = async (app, { orm, db, outbox, idempotency, metrics, sagaMetrics, timings, prices }) => {
  const writes = intakeWrites({ orm, db, outbox, times: idempotency, metrics })
  app.post(
    '/orders',
    {
      onRequest: requireAnyRole('orders:write', CUSTOMER_ROLE),
      schema: {
        summary: 'Place an order',
        description:
          'Accepts the order and starts its saga. Honours `Idempotency-Key`. A customer token places orders for itself only: `customerId` must be its `sub`. Unit prices come from the price list (`PUT /v1/inventory/{sku}/prices`); a `unitPrice` sent must equal it.',
        tags: ['orders'],
        headers: IdempotencyKeyHeader,
        body: CreateOrderBody,
        response: {
          202: OrderView,
          400: problemResponse('Invalid order'),
          403: problemResponse('A customer token ordering for another customer (CUSTOMER_MISMATCH), or a missing role'),
          409: problemResponse('A request with this Idempotency-Key is still in flight, or a unitPrice differs from the price list (PRICE_MISMATCH)'),
          413: problemResponse('Body too large'),
          415: problemResponse('Body is not JSON'),
          422: problemResponse('Idempotency-Key reused with another body, an item without a price (SKU_NOT_PRICED) or not sold in the currency (CURRENCY_NOT_SOLD)'),
        },
      },
    },
    async (request, reply) => {
      const own = customerScope(request.user, 'orders:write')
      if (own !== undefined && request.body.customerId !== own) {
        throw OrderErrors.CUSTOMER_MISMATCH({
          detail: 'A customer token places orders for its own subject only: customerId must equal the token\'s sub.',
          extra: { customerId: request.body.customerId },
        })
      }
      const result = await createOrder(orm, writes, prices, {
        body: request.body,
        caller: request.user.sub,
        idempotencyKey: request.headers['idempotency-key'],
        log: request.log,
      }, timings)
      if (result.replayed) void reply.header('idempotent-replayed', 'true')
      else metrics.placed()
      // A replayed body was built by toOrderView for this same schema when it was first sent.
      return reply.code(202).header('location', result.location).send(result.body as OrderView)
    },
  )

  app.get(
    '/orders/:id',
    {
      onRequest: requireAnyRole('orders:read', CUSTOMER_ROLE),
      schema: {
        summary: 'Get an order with its items and timeline',
        tags: ['orders'],
        params: OrderIdParams,
        response: { 200: OrderView, 400: problemResponse('Malformed order id'), 404: problemResponse('No such order') },
      },
    },
    async (request) => {
      const order = await findOrderWithDetails(orm.em.fork(), request.params.id)
      const own = customerScope(request.user, 'orders:read')
      if (!order || (own !== undefined && order.customerId !== own)) throw notFound(request.params.id)
      return toOrderView(order)
    },
  )

  app.get(
    '/orders',
    {
      onRequest: requireAnyRole('orders:read', CUSTOMER_ROLE),
      schema: {
        summary: 'List orders, newest first',
        description: 'A customer token lists its own orders only (a `customerId` filter naming another customer finds none).',
        tags: ['orders'],
        querystring: ListOrdersQuery,
        response: { 200: OrderList, 400: problemResponse('Invalid filter or cursor') },
      },
    },
    async (request) => {
      const q = request.query
      const asked = listFilters(q)
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
      if (q.cursor !== undefined && !after) throw OrderErrors.INVALID_CURSOR({ detail: 'Pass a nextCursor from a previous page unchanged.' })
      // A cursor is a page of the list it came from: alone, it brings that list's filters and page
      // size; with filters, they must be the ones it carries (a page size may be given anew).
      if (after && hasFilters(asked) && !sameFilters(asked, after.filters)) {
        throw OrderErrors.INVALID_CURSOR({ detail: 'This cursor belongs to a list with other filters: pass it alone, or with the same filters.' })
      }
      const listed = after ? after.filters : asked
      // A customer's list is the asked one narrowed to its own orders; asking for another's finds none.
      const own = customerScope(request.user, 'orders:read')
      if (own !== undefined && listed.customerId !== undefined && listed.customerId !== own) return { items: [], nextCursor: null }
      const filters = own === undefined ? listed : { ...listed, customerId: own }
      const limit = q.limit ?? after?.limit ?? DEFAULT_PAGE_SIZE
      const { createdFrom, createdTo } = filters
      if (createdFrom && createdTo && createdFrom > createdTo) throw OrderErrors.INVALID_DATE_RANGE()
      const page = await listOrders(orm.em.fork(), { ...filters, after, limit })
      return { items: page.items.map(toSummaryView), nextCursor: page.nextCursor }
    },
  )

  app.post(
    '/orders/:id/cancel',
    {
      onRequest: requireAnyRole('orders:write', CUSTOMER_ROLE),
      // The body only carries an optional reason: a bare POST (no body at all) is a fine request.
      preValidation: async (request) => {
        request.body ??= {}
      },
      schema: {
        summary: 'Ask to cancel an order',
        description: 'Accepted while the order is PENDING or CONFIRMED; the saga undoes what was done.',
        tags: ['orders'],
        params: OrderIdParams,
        body: CancelOrderBody,
        response: {
          202: CancelAccepted,
          400: problemResponse('Malformed order id or body'),
          404: problemResponse('No such order'),
          409: problemResponse('The order has shipped or is finished'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const own = customerScope(request.user, 'orders:write')
      if (own !== undefined) {
        const order = await orm.em.fork().findOne(Order, { id }, { fields: ['customerId'] })
        if (order?.customerId !== own) throw notFound(id)
      }
      const result = await requestCancel({ db, outbox, metrics: sagaMetrics, timings }, id, request.body.reason)
      if (result.outcome === 'not-found') throw notFound(id)
      if (result.outcome === 'not-cancellable') {
        throw OrderErrors.ORDER_NOT_CANCELLABLE({
          detail: `The order is ${result.status}; it can be cancelled only before it ships.`,
          extra: { orderId: id, status: result.status },
        })
      }
      return reply.code(202).send({ id, status: result.status, cancellation: 'REQUESTED' as const, links: orderLinks(id, result.status) })
    },
  )

  app.get(
    '/orders/:id/saga',
    {
      // For operators: whoever decides to replay a dead letter needs to see the saga it is for.
      onRequest: requireRoles('ops:dlq'),
      schema: {
        summary: "An order's saga: state, steps done, deadline, failure",
        tags: ['orders'],
        params: OrderIdParams,
        response: { 200: SagaView, 400: problemResponse('Malformed order id'), 404: problemResponse('No such order') },
      },
    },
    async (request) => {
      const saga = await orm.em.fork().findOne(Saga, { order: request.params.id })
      if (!saga) throw notFound(request.params.id)
      return toSagaView(saga)
    },
  )
}
