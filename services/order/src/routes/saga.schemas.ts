import Type, { type Static } from 'typebox'
import { OrderFailureReason } from '@orderflow/contracts'
import { SAGA_STATES } from '../saga/saga.js'

const At = Type.String({ format: 'date-time' })

/** Steps done, each with when; a step not done is absent. */
const Steps = Type.Object({
  stockReserved: Type.Optional(At),
  paymentAuthorized: Type.Optional(At),
  confirmed: Type.Optional(At),
  stockCommitted: Type.Optional(At),
  paymentCaptured: Type.Optional(At),
  shipmentRequested: Type.Optional(At),
  shipped: Type.Optional(At),
  delivered: Type.Optional(At),
  cancelRequested: Type.Optional(At),
  cancelRefused: Type.Optional(At),
  shipmentCancelRequested: Type.Optional(At),
  shipmentCancelled: Type.Optional(At),
  stockReleaseRequested: Type.Optional(At),
  stockReleased: Type.Optional(At),
  paymentVoidRequested: Type.Optional(At),
  paymentVoided: Type.Optional(At),
  paymentRefundRequested: Type.Optional(At),
  paymentRefunded: Type.Optional(At),
})

export const SagaView = Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  state: Type.Enum(SAGA_STATES),
  version: Type.Integer(),
  /** When the current step gives up or re-sends; absent when nothing is owed. */
  deadlineAt: Type.Optional(At),
  steps: Steps,
  cancelReason: Type.Optional(Type.String()),
  failure: Type.Optional(Type.Object({ reason: OrderFailureReason, message: Type.String() })),
  createdAt: At,
  updatedAt: At,
})
export type SagaView = Static<typeof SagaView>
export type SagaSteps = Static<typeof Steps>
