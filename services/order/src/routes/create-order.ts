import type { FastifyBaseLogger } from 'fastify'
import type { Orm } from '@orderflow/db'
import { releaseKey, type KeyRef, type StoredResponse } from '../idempotency/idempotency-store.js'
import { requestHash } from '../idempotency/request-hash.js'
import type { SagaTimings } from '../saga/saga.js'
import { OrderErrors } from '../order.errors.js'
import { OrderTotalTooLargeError, placeOrder } from '../use-cases/place-order.js'
import type { PriceBook } from '../catalog/price-book.js'
import { priceLines, type PricedLine } from '../domain/pricing.js'
import type { IntakeWrites } from '../repositories/intake-writes.js'
import { orderView } from './order-view.js'
import type { CreateOrderBody } from './orders.schemas.js'

export interface CreateOrderRequest {
  body: CreateOrderBody
  /** The token's subject: places the order and owns the idempotency key. */
  caller: string
  idempotencyKey: string | undefined
  log: FastifyBaseLogger
}

export interface CreateOrderResult extends StoredResponse {
  replayed: boolean
}

const OPERATION = 'POST /v1/orders'

/**
 * POST /v1/orders: places the order, honouring `Idempotency-Key`. With a key, the key is claimed
 * first (a statement committed on its own), then the order, its outbox event and the response to
 * replay are stored by one statement; a failure frees the key so the client may retry with it.
 * While the database is busy, requests arriving together share each of those statements
 * (see `intakeWrites`).
 */
export async function createOrder(orm: Orm, writes: IntakeWrites, prices: PriceBook, req: CreateOrderRequest, timings: SagaTimings): Promise<CreateOrderResult> {
  const ref: KeyRef | undefined = req.idempotencyKey ? { owner: req.caller, key: req.idempotencyKey } : undefined
  if (ref) {
    const claim = await writes.claim({ ref, requestHash: requestHash(OPERATION, req.body) })
    if (claim.kind === 'replay') return { ...claim.response, replayed: true }
    if (claim.kind === 'in-flight') throw OrderErrors.IDEMPOTENCY_KEY_IN_FLIGHT({ headers: { 'retry-after': '1' } })
    if (claim.kind === 'mismatch') {
      throw OrderErrors.IDEMPOTENCY_KEY_REUSED({ detail: 'Send a new Idempotency-Key for a different order.' })
    }
  }

  try {
    const items = await priced(prices, req.body)
    const placed = placeOrder({ ...req.body, items }, req.caller, timings)
    const response: StoredResponse = { body: orderView(placed.order), location: `/v1/orders/${placed.order.id}` }
    // One statement: the order, its saga, its messages and the key's stored response commit together.
    await writes.store({ placed, keyed: ref ? { ref, response } : undefined })
    return { ...response, replayed: false }
  } catch (error) {
    if (ref) {
      await releaseKey(orm.em.fork(), ref).catch((releaseError: unknown) =>
        // The lease expires on its own; the client's retry then takes the key over.
        req.log.warn({ err: releaseError }, 'could not release idempotency key after a failed order'),
      )
    }
    if (error instanceof OrderTotalTooLargeError) {
      throw OrderErrors.ORDER_TOTAL_TOO_LARGE({ detail: 'The order total exceeds the largest amount accepted; split the order.' })
    }
    throw error
  }
}

/** The order's lines priced from the price lists, or the problem that refuses it. */
async function priced(prices: PriceBook, body: CreateOrderBody): Promise<PricedLine[]> {
  const pricing = priceLines(body.currency, body.items, await prices.listsOf(body.items.map((l) => l.sku)))
  if (pricing.ok) return pricing.items
  switch (pricing.problem) {
    case 'SKU_NOT_PRICED':
      throw OrderErrors.SKU_NOT_PRICED({ detail: `No price list for ${pricing.skus.join(', ')}: not for sale.`, extra: { skus: pricing.skus } })
    case 'CURRENCY_NOT_SOLD':
      throw OrderErrors.CURRENCY_NOT_SOLD({ detail: `Not sold in ${body.currency}: ${pricing.skus.join(', ')}.`, extra: { currency: body.currency, skus: pricing.skus } })
    case 'PRICE_MISMATCH':
      throw OrderErrors.PRICE_MISMATCH({
        detail: 'The price list changed or the unit price is wrong; omit unitPrice or send the listed one.',
        extra: { mismatches: pricing.mismatches },
      })
  }
}
