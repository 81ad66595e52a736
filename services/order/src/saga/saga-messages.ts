import type { DataOf, StockRejected } from '@orderflow/contracts'
import type { FailureReason } from './saga.js'

/** Contract limit of OrderFailed.message and OrderCancelRefused.message. */
const MAX_MESSAGE = 500

export function clip(text: string, max = MAX_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** Customer-readable texts: they end up on the order's timeline as they are. */
export const HumanMessages = {
  timeout: 'Your order took too long to process and was not completed. Nothing was charged and the reserved items were released.',
  noPayment: 'The order has no payment details, so it cannot be paid.',
  cancelRefused: 'The order has already left the warehouse and can no longer be cancelled.',
  cancelled: 'Cancelled at your request.',
} as const

/** The failure an inventory rejection means: an unknown SKU makes the order invalid, a shortage is out of stock. */
export function rejectionFailure(rejection: DataOf<typeof StockRejected>): { reason: FailureReason; message: string } {
  const lines = rejection.unavailable.map((u) => `${u.sku} (requested ${u.requested}, available ${u.available})`)
  if (rejection.reason === 'UNKNOWN_SKU') {
    return { reason: 'INVALID_ORDER', message: clip(`The order names items we do not sell${lines.length ? `: ${lines.join(', ')}` : ''}.`) }
  }
  return { reason: 'OUT_OF_STOCK', message: clip(`Some items are out of stock${lines.length ? `: ${lines.join(', ')}` : ''}.`) }
}

export function declineMessage(providerMessage: string): string {
  return clip(`The payment was declined: ${providerMessage}`)
}
