/**
 * Keyset pagination cursor: the (createdAt, id) of the last order on a page, opaque to clients
 * (base64url JSON) so its shape can change without breaking them.
 */
export interface OrderCursor {
  readonly createdAt: Date
  readonly id: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function encodeCursor(c: OrderCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url')
}

/** Returns `undefined` for anything that is not a cursor this service issued. */
export function decodeCursor(raw: string): OrderCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined
    const [at, id] = parsed as unknown[]
    if (typeof at !== 'string' || typeof id !== 'string' || !UUID.test(id)) return undefined
    const createdAt = new Date(at)
    return Number.isNaN(createdAt.getTime()) ? undefined : { createdAt, id }
  } catch {
    return undefined
  }
}
