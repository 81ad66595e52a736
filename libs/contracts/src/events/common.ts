import Type from 'typebox'

/** Order ids are UUIDs chosen by the order service. */
export const OrderId = Type.String({ format: 'uuid' })

/** The customer an order is for: a customer token's `sub`. */
export const CustomerId = Type.String({ minLength: 1, maxLength: 100 })

/**
 * The ISO 4217 codes of the currencies in use, as Node's ICU data lists them (162 on Node 24):
 * no funds (`BOV`), metals (`XAU`), test or "no currency" codes (`XTS`, `XXX`), which no order is
 * paid in. A built-in list needs no dependency to keep up to date; Node is pinned (.node-version,
 * the Dockerfile), so every service checks against the same list, and a Node upgrade that adds
 * or drops a code changes it for all of them at once.
 */
export const CURRENCY_CODES: readonly string[] = Object.freeze(Intl.supportedValuesOf('currency'))

/** An ISO 4217 alphabetic code of a currency in use (`ZZZ` is not one). */
export const Currency = Type.Enum([...CURRENCY_CODES])

/**
 * The largest amount in minor units any event carries: 10^11, a billion in a two-decimal
 * currency. The one limit for money: the order API refuses an order whose total exceeds it
 * (ORDER_TOTAL_TOO_LARGE) rather than accepting one its own events could not describe.
 */
export const MAX_MINOR_UNITS = 100_000_000_000

/** An amount in the currency's minor unit (cents), never a float. */
export const MinorUnits = Type.Integer({ minimum: 0, maximum: MAX_MINOR_UNITS })

export const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })

export const OrderLine = Type.Object(
  {
    sku: Sku,
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    unitPrice: MinorUnits,
  },
  { additionalProperties: false },
)
