import type { ISaga } from '../entities/saga.entity.js'
import type { StoredProgress } from '../saga/saga-row.js'
import type { SagaSteps, SagaView } from './saga.schemas.js'

// The steps the view shows, from the saga's progress document.
const STEPS: Record<keyof SagaSteps, keyof StoredProgress> = {
  stockReserved: 'reservedAt',
  paymentAuthorized: 'authorizedAt',
  confirmed: 'confirmedAt',
  stockCommitted: 'committedAt',
  paymentCaptured: 'capturedAt',
  shipmentRequested: 'shipmentRequestedAt',
  shipped: 'shippedAt',
  delivered: 'deliveredAt',
  cancelRequested: 'cancelRequestedAt',
  cancelRefused: 'cancelRefusedAt',
  shipmentCancelRequested: 'shipmentCancelRequestedAt',
  shipmentCancelled: 'shipmentCancelledAt',
  stockReleaseRequested: 'releaseRequestedAt',
  stockReleased: 'releasedAt',
  paymentVoidRequested: 'voidRequestedAt',
  paymentVoided: 'voidedAt',
  paymentRefundRequested: 'refundRequestedAt',
  paymentRefunded: 'refundedAt',
}

function stepsOf(progress: StoredProgress): SagaSteps {
  const steps: SagaSteps = {}
  for (const [view, key] of Object.entries(STEPS) as Array<[keyof SagaSteps, keyof StoredProgress]>) {
    const at = progress[key]
    if (at) steps[view] = new Date(at).toISOString()
  }
  return steps
}

/** The saga as operators see it. The order data (email, address, items) is the order view's to show. */
export function toSagaView(s: ISaga): SagaView {
  const p = s.progress
  return {
    orderId: s.order.id,
    state: s.state,
    version: s.version,
    ...(s.deadlineAt ? { deadlineAt: s.deadlineAt.toISOString() } : {}),
    steps: stepsOf(p),
    ...(p.cancelReason ? { cancelReason: p.cancelReason } : {}),
    ...(p.failureReason ? { failure: { reason: p.failureReason as NonNullable<SagaView['failure']>['reason'], message: p.failureMessage ?? '' } } : {}),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  }
}
