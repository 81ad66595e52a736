import Type from 'typebox'
import { defineMessage } from '../envelope.js'
import { Streams } from '../streams.js'
import { Currency, MinorUnits, OrderId, Sku } from './common.js'

const stream = Streams.INVENTORY.name

const StockLine = Type.Object(
  { sku: Sku, quantity: Type.Integer({ minimum: 1, maximum: 1000 }) },
  { additionalProperties: false },
)
const Lines = Type.Array(StockLine, { minItems: 1, maxItems: 100 })

/** Reserve every line of an order, all or nothing. */
export const ReserveStock = defineMessage({
  type: 'orderflow.inventory.reserve.v1',
  subject: 'inventory.cmd.reserve',
  stream,
  data: Type.Object({ orderId: OrderId, items: Lines }, { additionalProperties: false }),
})

export const StockReserved = defineMessage({
  type: 'orderflow.inventory.reserved.v1',
  subject: 'inventory.evt.reserved',
  stream,
  data: Type.Object({ orderId: OrderId, items: Lines }, { additionalProperties: false }),
})

/** Not every line could be reserved; nothing was. */
export const StockRejected = defineMessage({
  type: 'orderflow.inventory.rejected.v1',
  subject: 'inventory.evt.rejected',
  stream,
  data: Type.Object(
    {
      orderId: OrderId,
      reason: Type.Enum(['OUT_OF_STOCK', 'UNKNOWN_SKU'] as const),
      unavailable: Type.Array(
        Type.Object(
          { sku: Sku, requested: Type.Integer({ minimum: 1 }), available: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    },
    { additionalProperties: false },
  ),
})

/** Give the order's reserved stock back (compensation). Idempotent; a no-op without a reservation. */
export const ReleaseStock = defineMessage({
  type: 'orderflow.inventory.release.v1',
  subject: 'inventory.cmd.release',
  stream,
  data: Type.Object({ orderId: OrderId, reason: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
})

export const StockReleased = defineMessage({
  type: 'orderflow.inventory.released.v1',
  subject: 'inventory.evt.released',
  stream,
  data: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
})

/** The order is confirmed: the reserved stock leaves the warehouse's books. Idempotent. */
export const CommitStock = defineMessage({
  type: 'orderflow.inventory.commit.v1',
  subject: 'inventory.cmd.commit',
  stream,
  data: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
})

export const StockCommitted = defineMessage({
  type: 'orderflow.inventory.committed.v1',
  subject: 'inventory.evt.committed',
  stream,
  data: Type.Object({ orderId: OrderId }, { additionalProperties: false }),
})

/** A price in one currency: what one unit of the SKU costs, in that currency's minor units. */
export const SkuPrice = Type.Object({ currency: Currency, unitPrice: MinorUnits }, { additionalProperties: false })

/**
 * A SKU's price list, whole, as it is now: the currencies it is sold in and its unit price in
 * each (an empty list: no longer sold). `version` counts the SKU's price changes from 1, so a
 * reader that sees an event again, or late, keeps the newest list.
 */
export const SkuPriced = defineMessage({
  type: 'orderflow.inventory.priced.v1',
  subject: 'inventory.evt.priced',
  stream,
  data: Type.Object(
    { sku: Sku, prices: Type.Array(SkuPrice, { maxItems: 50 }), version: Type.Integer({ minimum: 1 }) },
    { additionalProperties: false },
  ),
})
