import { BalancedPool, Pool, request } from 'undici'

/** What one POST /v1/orders came to. */
export type PlaceOrderResult =
  | { kind: 'accepted'; orderId: string }
  /** An HTTP answer other than 202; `code` is the problem document's code when it had one. */
  | { kind: 'http-error'; status: number; code: string }
  /** No HTTP answer at all: refused, reset, timed out. */
  | { kind: 'network-error'; code: string }

export interface OrderApiOptions {
  /** Base URL of the order service, or of each of its replicas (requests are spread over them). */
  orderUrl: string | readonly string[]
  /** Base URL of the inventory service. */
  inventoryUrl: string
  /** A bearer token with orders:write and inventory:write. */
  token: string
  /** Keep-alive connections to the order service. @default 256 */
  connections?: number
  /** Time to wait for an answer's headers before counting a network error. @default 30_000 */
  timeoutMs?: number
}

/** The public API calls the benchmark makes. */
export interface OrderApi {
  placeOrder(body: unknown, idempotencyKey: string): Promise<PlaceOrderResult>
  /** PUT /v1/inventory/<sku> {set}; throws unless the service accepted it. */
  setStock(sku: string, units: number, reason: string): Promise<void>
  /** PUT /v1/inventory/<sku>/prices; throws unless the service accepted it. */
  setPrices(sku: string, prices: readonly { currency: string; unitPrice: number }[]): Promise<void>
  close(): Promise<void>
}

/**
 * A client for the order API on one undici Pool: kept-alive connections, enough of them that an
 * open-model schedule is not throttled by the client while the server is slow to answer.
 */
export function createOrderApi(opts: OrderApiOptions): OrderApi {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const options = { connections: opts.connections ?? 256, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }
  const urls = typeof opts.orderUrl === 'string' ? [opts.orderUrl] : opts.orderUrl
  const pool = urls.length === 1 ? new Pool(urls[0]!, options) : new BalancedPool([...urls], options)
  const auth = `Bearer ${opts.token}`
  const put = async (path: string, body: unknown): Promise<void> => {
    const res = await request(`${opts.inventoryUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await res.body.text()
    if (res.statusCode >= 300) throw new Error(`PUT ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`)
  }
  return {
    async placeOrder(body, idempotencyKey) {
      try {
        const res = await pool.request({
          path: '/v1/orders',
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify(body),
        })
        const text = await res.body.text()
        if (res.statusCode === 202) {
          const id = (JSON.parse(text) as { id?: unknown }).id
          return typeof id === 'string' ? { kind: 'accepted', orderId: id } : { kind: 'http-error', status: 202, code: 'NO_ORDER_ID' }
        }
        return { kind: 'http-error', status: res.statusCode, code: problemCode(text) }
      } catch (error) {
        return { kind: 'network-error', code: errorCode(error) }
      }
    },
    setStock: (sku, units, reason) => put(`/v1/inventory/${encodeURIComponent(sku)}`, { set: units, reason }),
    setPrices: (sku, prices) => put(`/v1/inventory/${encodeURIComponent(sku)}/prices`, { prices }),
    close: () => pool.close(),
  }
}

/** The `code` of an RFC 9457 problem body, or `-` when the body is not one. */
function problemCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code
    return typeof code === 'string' ? code : '-'
  } catch {
    return '-'
  }
}

function errorCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code
    return typeof code === 'string' ? code : error.name
  }
  return 'UNKNOWN'
}
