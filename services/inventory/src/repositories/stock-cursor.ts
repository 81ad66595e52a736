import Value from 'typebox/value'
import { Sku } from '@orderflow/contracts'

/**
 * Keyset pagination cursor for the stock list: the last SKU of a page, opaque to clients
 * (base64url JSON) so its shape can change without breaking them.
 */
export function encodeCursor(sku: string): string {
  return Buffer.from(JSON.stringify([sku])).toString('base64url')
}

/** Returns `undefined` for anything that is not a cursor this service issued. */
export function decodeCursor(raw: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed) || parsed.length !== 1) return undefined
    const sku: unknown = parsed[0]
    // A client may forge one: anything but a SKU (NUL, say) would fail the query, not the request.
    return Value.Check(Sku, sku) ? sku : undefined
  } catch {
    return undefined
  }
}
