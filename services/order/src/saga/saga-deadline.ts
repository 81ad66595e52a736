import { CancelShipment } from '@orderflow/contracts'
import { resendCompensation, startCompensation } from './compensation.js'
import { HumanMessages } from './saga-messages.js'
import { message, NO_CHANGE, nextDeadline, type Clock, type Outgoing, type Saga, type Transition } from './saga.js'
import { resendSettlement, settlementOwed } from './settlement.js'
import { authorizeCommand, reserveCommand } from './step-commands.js'

/**
 * The saga's deadline passed: a command is still unanswered. Send it again — every command is
 * idempotent per order, and the usual reason for silence is an outage (the broker, the database
 * or the participant down for a while), which must not fail a customer's order. Only a verdict
 * step (RESERVING, AUTHORIZING) is ever given up, once unanswered for the give-up time: then it
 * compensates and fails with TIMEOUT. Everything later is owed anyway (an undo, a commit, a
 * capture, a shipment's cancellation) and is re-sent until answered.
 */
export function onDeadline(saga: Readonly<Saga>, clock: Clock): Transition {
  switch (saga.state) {
    case 'RESERVING':
    case 'AUTHORIZING':
      if (clock.now >= giveUpAt(saga, clock)) return giveUp(saga, clock)
      return { changes: { deadlineAt: earliest(nextDeadline(clock), giveUpAt(saga, clock)) }, send: askAgain(saga) }
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

/** RESERVING waits from the order's placing, AUTHORIZING from the stock's reservation. */
function giveUpAt(saga: Readonly<Saga>, clock: Clock): Date {
  const since = saga.state === 'AUTHORIZING' ? (saga.reservedAt ?? saga.createdAt) : saga.createdAt
  return new Date(since.getTime() + clock.giveUpAfterMs)
}

const earliest = (a: Date, b: Date): Date => (a <= b ? a : b)

function askAgain(saga: Readonly<Saga>): Outgoing[] {
  if (saga.state === 'RESERVING') return [reserveCommand(saga)]
  // A saga stored before the token was kept has none to send: it waits, up to the give-up time.
  return saga.paymentToken ? [authorizeCommand(saga, saga.paymentToken)] : []
}

function giveUp(saga: Readonly<Saga>, clock: Clock): Transition {
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
}
