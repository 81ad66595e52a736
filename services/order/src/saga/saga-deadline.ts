import { CancelShipment } from '@orderflow/contracts'
import { resendCompensation, startCompensation } from './compensation.js'
import { HumanMessages } from './saga-messages.js'
import { message, NO_CHANGE, nextDeadline, type Clock, type Saga, type Transition } from './saga.js'
import { resendSettlement, settlementOwed } from './settlement.js'

/**
 * The saga's deadline passed. A step that got no answer (RESERVING, AUTHORIZING) is given up:
 * compensate and fail with TIMEOUT. Everywhere else an answer is owed to a command that must
 * happen anyway (an undo, a commit, a capture, a shipment's cancellation): send it again.
 */
export function onDeadline(saga: Readonly<Saga>, clock: Clock): Transition {
  switch (saga.state) {
    case 'RESERVING':
    case 'AUTHORIZING':
      return startCompensation(
        saga,
        {
          failure: { reason: 'TIMEOUT', message: HumanMessages.timeout },
          detail: `No answer while ${saga.state === 'RESERVING' ? 'reserving stock' : 'authorizing the payment'}; undoing what was done.`,
          release: true,
          // Only an authorization that was asked for can exist; RESERVING never asked.
          void: saga.state === 'AUTHORIZING',
        },
        clock,
      )
    case 'COMPENSATING':
      return resendCompensation(saga, clock)
    case 'CANCELLING':
      return {
        changes: { deadlineAt: nextDeadline(clock) },
        send: [message(CancelShipment, { orderId: saga.orderId }), ...resendSettlement(saga)],
      }
    case 'CONFIRMED':
    case 'SHIPPED':
    case 'DELIVERED':
      if (!settlementOwed(saga)) return saga.deadlineAt ? { changes: { deadlineAt: null }, send: [] } : NO_CHANGE
      return { changes: { deadlineAt: nextDeadline(clock) }, send: resendSettlement(saga) }
    case 'FAILED':
    case 'CANCELLED':
      return saga.deadlineAt ? { changes: { deadlineAt: null }, send: [] } : NO_CHANGE
  }
}
