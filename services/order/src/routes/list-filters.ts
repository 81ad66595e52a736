import { validationFailed, type FieldError } from '@orderflow/http'
import { INSTANT_RANGE, isStorableInstant } from '../domain/instants.js'
import type { OrderListFilters } from '../repositories/order-cursor.js'
import type { ListOrdersQuery } from './orders.schemas.js'

/**
 * The filters a list request names, with its two dates parsed. A date the `date-time` format
 * lets through but the database cannot compare with (year 0000, a leap second, a date beyond
 * year 9999 once its offset is applied) is 400 VALIDATION_FAILED for that field.
 */
export function listFilters(q: ListOrdersQuery): OrderListFilters {
  const errors: FieldError[] = []
  const instant = (name: 'createdFrom' | 'createdTo'): Date | undefined => {
    const raw = q[name]
    if (raw === undefined) return undefined
    const at = new Date(raw)
    if (!isStorableInstant(at)) errors.push({ field: `querystring.${name}`, message: `must be ${INSTANT_RANGE}` })
    return at
  }
  const filters: OrderListFilters = { status: q.status, customerId: q.customerId, createdFrom: instant('createdFrom'), createdTo: instant('createdTo') }
  if (errors.length > 0) throw validationFailed(errors)
  return filters
}
