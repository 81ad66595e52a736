import {
  makeEvent,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentVoided,
  type CloudEvent,
  type DataOf,
} from '@orderflow/contracts'
import { EVENT_SOURCE } from '../service-info.js'

/** A payment that should carry an amount does not: the table's CHECK makes this a bug. */
export class PaymentAmountMissingError extends Error {
  override readonly name = 'PaymentAmountMissingError'
}

/** The part of a payment its events carry. */
export interface PaymentFacts {
  readonly orderId: string
  readonly paymentId: string
  readonly amount: number | null
  readonly currency: string | null
  readonly status: string
}

function settled(p: PaymentFacts): DataOf<typeof PaymentAuthorized> {
  if (p.amount == null || p.currency == null) throw new PaymentAmountMissingError(`payment of order ${p.orderId} (${p.status}) has no amount`)
  return { orderId: p.orderId, paymentId: p.paymentId, amount: p.amount, currency: p.currency }
}

export const authorizedEvent = (p: PaymentFacts): CloudEvent =>
  makeEvent(PaymentAuthorized, { source: EVENT_SOURCE, subject: p.orderId, data: settled(p) })

export const capturedEvent = (p: PaymentFacts): CloudEvent => makeEvent(PaymentCaptured, { source: EVENT_SOURCE, subject: p.orderId, data: settled(p) })

export const refundedEvent = (p: PaymentFacts): CloudEvent => makeEvent(PaymentRefunded, { source: EVENT_SOURCE, subject: p.orderId, data: settled(p) })

export const voidedEvent = (orderId: string): CloudEvent => makeEvent(PaymentVoided, { source: EVENT_SOURCE, subject: orderId, data: { orderId } })

export const declinedEvent = (orderId: string, reason: DataOf<typeof PaymentDeclined>['reason'], message: string): CloudEvent =>
  makeEvent(PaymentDeclined, { source: EVENT_SOURCE, subject: orderId, data: { orderId, reason, message } })

export const VOIDED_MESSAGE = 'The payment was cancelled before its authorization completed.'

export const PROVIDER_TIMEOUT_MESSAGE = 'The payment provider did not answer in time. Nothing was charged.'
