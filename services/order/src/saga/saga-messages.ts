import type { DataOf, PaymentDeclined, StockRejected } from '@orderflow/contracts'
import type { FailureReason } from './saga.js'

/** Contract limit of OrderFailed.message and OrderCancelRefused.message. */
const MAX_MESSAGE = 500

/**
 * Cuts a text to `max` UTF-16 units, ending in `…`. Never between the two halves of a surrogate
 * pair (an emoji, say): half a pair is not text PostgreSQL's jsonb will store.
 */
export function clip(text: string, max = MAX_MESSAGE): string {
  if (text.length <= max) return text
  const end = isHighSurrogate(text.charCodeAt(max - 2)) ? max - 2 : max - 1
  return `${text.slice(0, end)}…`
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff

/** Customer-readable texts: they end up on the order's timeline as they are. */
export const HumanMessages = {
  timeout: 'Your order took too long to process and was not completed. Nothing was charged and the reserved items were released.',
  providerTimeout: 'The payment provider did not answer in time, so the order was not completed. Nothing was charged and the reserved items were released.',
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

/**
 * The failure a payment decline means. A provider that did not answer in time is a TIMEOUT (the
 * payment service cancelled whatever it may have held before saying so); any other reason is
 * the card's, PAYMENT_DECLINED, with the provider's words.
 */
export function declineFailure(decline: Pick<DataOf<typeof PaymentDeclined>, 'reason' | 'message'>): { reason: FailureReason; message: string } {
  if (decline.reason === 'PROVIDER_TIMEOUT') return { reason: 'TIMEOUT', message: HumanMessages.providerTimeout }
  return { reason: 'PAYMENT_DECLINED', message: clip(`The payment was declined: ${decline.message}`) }
}
