import { AuthorizePayment, CapturePayment, RefundPayment, Streams, VoidPayment } from '@orderflow/contracts'
import type { ConsumerSpec } from '@orderflow/messaging'

/**
 * An authorization is retried for about a minute (1 + 2 + 5 + 10 + 15 × 3 s of backoff over 8
 * deliveries); by then the saga's deadline has voided the payment. One batch may take up to
 * (PROVIDER_RETRIES + 1) × PROVIDER_TIMEOUT_MS plus backoff (its provider calls run side by side,
 * holding their payments' locks), well inside the ack wait.
 */
const authorization = {
  stream: Streams.PAYMENTS.name,
  ackWaitMs: 30_000,
  maxDeliver: 8,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 15_000],
  maxAckPending: 128,
} as const

/**
 * Capture, void and refund move or release money the saga already decided on: nobody else will
 * retry them, so they keep trying for about five minutes before an operator gets a dead letter.
 */
const settlement = {
  ...authorization,
  maxDeliver: 15,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000],
} as const

export const authorizeSpec: ConsumerSpec = {
  ...authorization,
  durable: 'payment-authorize',
  filterSubjects: [AuthorizePayment.subject],
  description: "Authorizes the order's payment at the provider, once per order",
}

export const captureSpec: ConsumerSpec = {
  ...settlement,
  durable: 'payment-capture',
  filterSubjects: [CapturePayment.subject],
  description: 'Captures an authorized payment, exactly once',
}

export const voidSpec: ConsumerSpec = {
  ...settlement,
  durable: 'payment-void',
  filterSubjects: [VoidPayment.subject],
  description: 'Voids a payment (compensation); refuses any later authorization',
}

export const refundSpec: ConsumerSpec = {
  ...settlement,
  durable: 'payment-refund',
  filterSubjects: [RefundPayment.subject],
  description: 'Refunds a captured payment (compensation)',
}
