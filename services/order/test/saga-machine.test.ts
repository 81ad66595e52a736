import t from 'tap'
import { applyToSaga } from '../src/saga/saga-machine.js'
import type { SagaInput, SagaInputKind } from '../src/saga/saga-input.js'
import { isNoChange, SAGA_STATES, TERMINAL_STATES, type SagaState } from '../src/saga/saga.js'
import { after, clock, contractProblems, sagaIn } from './saga-fixtures.js'

const inputs: Record<SagaInputKind, SagaInput> = {
  reserved: { kind: 'reserved' },
  rejected: { kind: 'rejected', rejection: { orderId: sagaIn.RESERVING.orderId, reason: 'OUT_OF_STOCK', unavailable: [{ sku: 'SKU-1', requested: 2, available: 0 }] } },
  released: { kind: 'released' },
  committed: { kind: 'committed' },
  authorized: { kind: 'authorized' },
  declined: { kind: 'declined', reason: 'INSUFFICIENT_FUNDS', message: 'insufficient funds' },
  captured: { kind: 'captured' },
  voided: { kind: 'voided' },
  refunded: { kind: 'refunded' },
  shipped: { kind: 'shipped' },
  delivered: { kind: 'delivered' },
  'shipment-cancelled': { kind: 'shipment-cancelled' },
  'shipment-cancel-refused': { kind: 'shipment-cancel-refused' },
  'cancel-requested': { kind: 'cancel-requested', reason: 'changed my mind' },
  deadline: { kind: 'deadline' },
}
const KINDS = Object.keys(inputs) as SagaInputKind[]

// What every input does in every state: `-` nothing at all, `=` same state but something
// recorded or sent, otherwise the next state. Column order is KINDS above.
const TABLE: Record<SagaState, string> = {
  //            reserved     rejected released     committed authorized  declined      captured voided refunded shipped  delivered  ship-cancelled ship-refused cancel       deadline
  RESERVING:    'AUTHORIZING FAILED   -            -         -           -             -        -      -        -        -          -              -            COMPENSATING =',
  AUTHORIZING:  '-           -        -            -         CONFIRMED   COMPENSATING  -        -      -        -        -          -              -            COMPENSATING =',
  CONFIRMED:    '-           -        -            =         -           -             =        -      -        SHIPPED  DELIVERED  -              -            CANCELLING   =',
  CANCELLING:   '-           -        -            =         -           -             =        -      -        SHIPPED  DELIVERED  COMPENSATING   CONFIRMED    -            =',
  SHIPPED:      '-           -        -            -         -           -             -        -      -        -        DELIVERED  -              -            =            -',
  DELIVERED:    '-           -        -            -         -           -             -        -      -        -        -          -              -            =            -',
  COMPENSATING: '-           -        =            -         =           -             -        =      -        -        -          -              -            =            =',
  FAILED:       '=           -        -            -         =           -             -        -      -        -        -          -              -            -            -',
  CANCELLED:    '-           -        -            -         =           -             -        -      -        -        -          -              -            -            -',
}

t.test('every input in every state does what the table says', async (t) => {
  for (const state of SAGA_STATES) {
    const row = TABLE[state].trim().split(/\s+/)
    t.equal(row.length, KINDS.length, `${state}: one column per input`)
    KINDS.forEach((kind, i) => {
      const saga = sagaIn[state]
      const transition = applyToSaga(saga, inputs[kind], clock)
      const expected = row[i]
      const got = isNoChange(transition) ? '-' : after(saga, transition).state === state ? '=' : after(saga, transition).state
      t.equal(got, expected, `${state} + ${kind}`)
      t.same(contractProblems(transition), [], `${state} + ${kind}: messages meet their contracts`)
    })
  }
})

t.test('a finished saga is never revived, and an outcome is reported only with its state', async (t) => {
  for (const state of SAGA_STATES) {
    for (const kind of KINDS) {
      const transition = applyToSaga(sagaIn[state], inputs[kind], clock)
      const next = after(sagaIn[state], transition).state
      if (TERMINAL_STATES.includes(state)) t.equal(next, state, `${state} + ${kind} stays ${state}`)
      if (transition.outcome) t.equal(transition.outcome, next, `${state} + ${kind}: outcome ${transition.outcome} is the new state`)
    }
  }
})

t.test('applying the same input twice changes nothing the second time (except deadlines and cancels)', async (t) => {
  for (const state of SAGA_STATES) {
    for (const kind of KINDS) {
      // A deadline re-sends each time by design; a cancel after shipment is answered each time.
      if (kind === 'deadline' || kind === 'cancel-requested') continue
      const once = after(sagaIn[state], applyToSaga(sagaIn[state], inputs[kind], clock))
      const twice = applyToSaga(once, inputs[kind], clock)
      t.ok(isNoChange(twice), `${state} + ${kind} twice`)
    }
  }
})
