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
      return { changes: { deadlineAt: earliest(askAgainAt(saga, clock), giveUpAt(saga, clock)) }, send: askAgain(saga) }
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
const stepStartedAt = (saga: Readonly<Saga>): Date => (saga.state === 'AUTHORIZING' ? (saga.reservedAt ?? saga.createdAt) : saga.createdAt)

function giveUpAt(saga: Readonly<Saga>, clock: Clock): Date {
  return new Date(stepStartedAt(saga).getTime() + clock.giveUpAfterMs)
}

/** Re-sends back off to at most this many step timeouts apart. */
const MOST_STEPS_BETWEEN_RESENDS = 6

/**
 * When to ask again: after as long as the step has waited so far (10 s, 20 s, 40 s…), between one
 * and six step timeouts. During a long outage every waiting saga re-sends, and the participant
 * answers them all when it is back: backing off keeps that from growing with the outage.
 */
function askAgainAt(saga: Readonly<Saga>, clock: Clock): Date {
  const waited = clock.now.getTime() - stepStartedAt(saga).getTime()
  const pause = Math.min(Math.max(clock.stepTimeoutMs, waited), MOST_STEPS_BETWEEN_RESENDS * clock.stepTimeoutMs)
  return new Date(clock.now.getTime() + pause)
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
