// The instants of four-digit years. Dates reach PostgreSQL as ISO strings, and it reads none
// outside them: `0000-01-01T…` is out of range, `+010000-…` or `-000001-…` malformed.
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z')
const LATEST = Date.parse('9999-12-31T23:59:59.999Z')

/** What a date must be for the database to compare with it. */
export const INSTANT_RANGE = 'a date-time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z'

/**
 * Whether `at` is a valid date the database can compare with (see {@link INSTANT_RANGE}).
 * An Invalid Date is not: a leap second such as `…T23:59:60Z` passes the `date-time` format
 * but JavaScript cannot represent it.
 */
export function isStorableInstant(at: Date): boolean {
  const t = at.getTime()
  return t >= EARLIEST && t <= LATEST
}
