import { runOpenSchedule, type OrderApi, type PlaceOrderResult } from '@orderflow/bench'
import { mixedOrder, type OrderKind } from './order-mix.js'

/** One order as the customer saw it. */
export interface SentOrder {
  n: number
  kind: OrderKind
  /** Epoch ms. */
  sentAt: number
  result?: PlaceOrderResult
  cancel?: CancelAttempt
}

export interface CancelAttempt {
  afterMs: number
  /** The HTTP status, or `network-error` when there was no answer. */
  outcome?: number | 'network-error'
}

export interface LoadOptions {
  api: OrderApi
  orderUrl: string
  token: string
  rate: number
  durationMs: number
  /** Tells this run's idempotency keys from any other's. */
  keyPrefix: string
  signal?: AbortSignal
}

/** How long a cancel may wait for its answer (a stalled order service answers late or never). */
const CANCEL_TIMEOUT_MS = 30_000

/**
 * Sends the mixed orders at a fixed rate through the public API with the benchmark's open-model
 * schedule (nothing waits for an answer, as customers do not wait for each other), cancels those
 * whose kind says so once they are accepted, and resolves when every request has its answer.
 * Each order is pushed to `orders` as it leaves, so the caller can watch the run go.
 */
export async function driveOrders(opts: LoadOptions, orders: SentOrder[] = []): Promise<SentOrder[]> {
  const pending: Promise<void>[] = []
  await runOpenSchedule({
    ratePerSecond: opts.rate,
    durationMs: opts.durationMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    send: ({ index }) => {
      const mixed = mixedOrder(index)
      const order: SentOrder = { n: index, kind: mixed.kind, sentAt: Date.now() }
      orders.push(order)
      pending.push(
        opts.api.placeOrder(mixed.body, `${opts.keyPrefix}-${index}`).then(async (result) => {
          order.result = result
          if (result.kind !== 'accepted' || mixed.cancelAfterMs === undefined) return
          const cancel: CancelAttempt = { afterMs: mixed.cancelAfterMs }
          order.cancel = cancel
          await new Promise((r) => setTimeout(r, mixed.cancelAfterMs))
          cancel.outcome = await cancelOrder(opts.orderUrl, opts.token, result.orderId)
        }),
      )
    },
  })
  await Promise.all(pending)
  return orders
}

async function cancelOrder(orderUrl: string, token: string, id: string): Promise<number | 'network-error'> {
  try {
    const res = await fetch(`${orderUrl}/v1/orders/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'chaos run: the customer changed their mind' }),
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
    })
    await res.arrayBuffer()
    return res.status
  } catch {
    return 'network-error'
  }
}
