import Type from 'typebox'

/** Order ids are UUIDs chosen by the order service. */
export const OrderId = Type.String({ format: 'uuid' })

/** ISO 4217 alphabetic code. */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$' })

/** An amount in the currency's minor unit (cents), never a float. */
export const MinorUnits = Type.Integer({ minimum: 0, maximum: 1_000_000_000_00 })

export const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })

export const OrderLine = Type.Object(
  {
    sku: Sku,
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    unitPrice: MinorUnits,
  },
  { additionalProperties: false },
)
