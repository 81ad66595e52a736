import { isStorableInstant } from '../domain/instants.js'
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js'

/** The filters a list was asked with; a cursor carries them so every page is of the same list. */
export interface OrderListFilters {
  readonly status?: OrderStatus | undefined
  readonly customerId?: string | undefined
  readonly createdFrom?: Date | undefined
  readonly createdTo?: Date | undefined
}

/**
 * Keyset pagination cursor: the (createdAt, id) of the last order on a page, with the filters and
 * the page size of the list it belongs to, opaque to clients (base64url JSON) so its shape can
 * change without breaking them.
 */
export interface OrderCursor {
  readonly createdAt: Date
  readonly id: string
  readonly filters: OrderListFilters
  readonly limit: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// An unpaired surrogate (with `u`, a pair does not match) or NUL: text the query string could
// not have brought (see @orderflow/http), which PostgreSQL cannot store.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text)
const STATUSES: ReadonlySet<string> = new Set(ORDER_STATUSES)

/** The JSON a cursor is made of; short keys keep the cursor short. */
interface Wire {
  v: 2
  at: string
  id: string
  l: number
  s?: string
  c?: string
  f?: string
  t?: string
}

export function encodeCursor(c: OrderCursor): string {
  const { status, customerId, createdFrom, createdTo } = c.filters
  const wire: Wire = {
    v: 2,
    at: c.createdAt.toISOString(),
    id: c.id,
    l: c.limit,
    ...(status === undefined ? {} : { s: status }),
    ...(customerId === undefined ? {} : { c: customerId }),
    ...(createdFrom === undefined ? {} : { f: createdFrom.toISOString() }),
    ...(createdTo === undefined ? {} : { t: createdTo.toISOString() }),
  }
  return Buffer.from(JSON.stringify(wire)).toString('base64url')
}

function date(raw: unknown): Date | undefined | null {
  if (raw === undefined) return undefined
  if (typeof raw !== 'string') return null
  const d = new Date(raw)
  return isStorableInstant(d) ? d : null
}

/** Returns `undefined` for anything that is not a cursor this service issued. */
export function decodeCursor(raw: string): OrderCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
    const w = parsed as Record<string, unknown>
    if (w.v !== 2 || typeof w.id !== 'string' || !UUID.test(w.id)) return undefined
    if (typeof w.l !== 'number' || !Number.isInteger(w.l) || w.l < 1 || w.l > 100) return undefined
    if (w.s !== undefined && (typeof w.s !== 'string' || !STATUSES.has(w.s))) return undefined
    if (w.c !== undefined && (typeof w.c !== 'string' || w.c.length === 0 || w.c.length > 100 || unstorable(w.c))) return undefined
    const createdAt = date(w.at)
    const createdFrom = date(w.f)
    const createdTo = date(w.t)
    if (!createdAt || createdFrom === null || createdTo === null) return undefined
    const filters: OrderListFilters = {
      ...(w.s === undefined ? {} : { status: w.s as OrderStatus }),
      ...(w.c === undefined ? {} : { customerId: w.c }),
      ...(createdFrom === undefined ? {} : { createdFrom }),
      ...(createdTo === undefined ? {} : { createdTo }),
    }
    return { createdAt, id: w.id, filters, limit: w.l }
  } catch {
    return undefined
  }
}

/** Whether two lists' filters are the same (dates compared as instants). */
export function sameFilters(a: OrderListFilters, b: OrderListFilters): boolean {
  return (
    a.status === b.status &&
    a.customerId === b.customerId &&
    a.createdFrom?.getTime() === b.createdFrom?.getTime() &&
    a.createdTo?.getTime() === b.createdTo?.getTime()
  )
}

/** Whether a request named any filter at all. */
export function hasFilters(f: OrderListFilters): boolean {
  return f.status !== undefined || f.customerId !== undefined || f.createdFrom !== undefined || f.createdTo !== undefined
}
