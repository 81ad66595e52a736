import type { ISaga } from '../entities/saga.entity.js'
import type { SagaSteps, SagaView } from './sagas.schemas.js'

const iso = (d: Date | null | undefined) => d?.toISOString()

function stepsOf(s: ISaga): SagaSteps {
  const all: Record<keyof SagaSteps, string | undefined> = {
    stockReserved: iso(s.reservedAt),
    paymentAuthorized: iso(s.authorizedAt),
    confirmed: iso(s.confirmedAt),
    stockCommitted: iso(s.committedAt),
    paymentCaptured: iso(s.capturedAt),
    shipmentRequested: iso(s.shipmentRequestedAt),
    shipped: iso(s.shippedAt),
    delivered: iso(s.deliveredAt),
    cancelRequested: iso(s.cancelRequestedAt),
    cancelRefused: iso(s.cancelRefusedAt),
    shipmentCancelRequested: iso(s.shipmentCancelRequestedAt),
    shipmentCancelled: iso(s.shipmentCancelledAt),
    stockReleaseRequested: iso(s.releaseRequestedAt),
    stockReleased: iso(s.releasedAt),
    paymentVoidRequested: iso(s.voidRequestedAt),
    paymentVoided: iso(s.voidedAt),
    paymentRefundRequested: iso(s.refundRequestedAt),
    paymentRefunded: iso(s.refundedAt),
  }
  return Object.fromEntries(Object.entries(all).filter(([, at]) => at !== undefined))
}

/** The saga as operators see it. The order data (email, address, items) stays out: it is the order service's to show. */
export function toSagaView(s: ISaga): SagaView {
  return {
    orderId: s.orderId,
    state: s.state,
    version: s.version,
    ...(s.deadlineAt ? { deadlineAt: s.deadlineAt.toISOString() } : {}),
    steps: stepsOf(s),
    ...(s.cancelReason ? { cancelReason: s.cancelReason } : {}),
    ...(s.failureReason ? { failure: { reason: s.failureReason, message: s.failureMessage ?? '' } } : {}),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  }
}
