import t from 'tap'
import { SagaChanges } from '../src/saga/saga-changes.js'
import { fromRow, toColumns, type SagaRow } from '../src/saga/saga-row.js'
import type { Saga } from '../src/saga/saga.js'
import type { OrderStatus } from '../src/domain/order-status.js'
import { clock, sagaIn } from './saga-fixtures.js'

/** The row statement one would load for a saga, with timestamps as `format` spells them. */
function rowOf(saga: Saga, status: OrderStatus, format: (iso: string) => string = (iso) => iso): SagaRow {
  const c = toColumns(saga)
  const progress = Object.fromEntries(Object.entries(c.progress).map(([k, v]) => [k, /^\d{4}-/.test(v ?? '') ? format(v as string) : v]))
  return {
    id: saga.orderId,
    status,
    customer_id: saga.customerId,
    email: saga.customerEmail,
    currency: saga.currency,
    total_amount: saga.totalAmount,
    shipping_address: saga.shippingAddress ?? null,
    items: [...saga.items],
    state: c.state,
    deadline_at: c.deadline_at === null ? null : format(c.deadline_at),
    progress,
    payment_token: c.payment_token,
    trace_parent: null,
    created_at: format(saga.createdAt.toISOString()),
    state_since: format((saga.stateSince ?? saga.createdAt).toISOString()),
  }
}

t.test('a saga survives its row: every state, JSON timestamps or PostgreSQL text', async (t) => {
  const pgText = (iso: string) => iso.replace('T', ' ').replace('Z', '+00')
  for (const saga of Object.values(sagaIn)) {
    // The fixtures entered their state when they were placed.
    const expected = Object.fromEntries(Object.entries({ stateSince: saga.createdAt, ...saga }).filter(([, v]) => v !== null && v !== undefined))
    const strip = (s: Saga) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== null && v !== undefined))
    t.same(strip(fromRow(rowOf(saga, 'PENDING')).saga), expected, `${saga.state} (ISO)`)
    t.same(strip(fromRow(rowOf(saga, 'PENDING', pgText)).saga), expected, `${saga.state} (timestamptz text)`)
  }
  t.same(toColumns(sagaIn.COMPENSATING).progress, {
    reservedAt: '2026-01-01T10:00:00.000Z',
    releaseRequestedAt: '2026-01-01T10:00:00.000Z',
    voidRequestedAt: '2026-01-01T10:00:00.000Z',
    failureReason: 'PAYMENT_DECLINED',
    failureMessage: 'The payment was declined: insufficient funds',
  }, 'state, deadline and token have columns of their own; unset steps are not stored')
})

t.test("the order's status, failure and timeline move with its saga; timeline-only steps are not published", async (t) => {
  const changes = new SagaChanges([fromRow(rowOf(sagaIn.AUTHORIZING, 'PENDING'))])
  const id = sagaIn.AUTHORIZING.orderId
  changes.apply(id, { kind: 'declined', reason: 'CARD_DECLINED', message: 'Card declined.' }, clock)
  t.equal(changes.status(id), 'PENDING', 'COMPENSATING shows no outcome yet')
  changes.apply(id, { kind: 'released' }, clock)
  changes.apply(id, { kind: 'voided' }, clock)
  t.equal(changes.status(id), 'FAILED')
  const w = changes.writes()
  t.same(w.sagas.map((s) => s.state), ['FAILED'], 'one row per saga, however many inputs')
  t.same(w.orders, [{ id, status: 'FAILED', failure_reason: 'PAYMENT_DECLINED', failure_message: 'The payment was declined: Card declined.' }])
  t.same(
    w.timeline.map((e) => e.type),
    ['COMPENSATING', 'STOCK_RELEASED', 'PAYMENT_VOIDED', 'FAILED'],
  )
  t.same(
    w.outbox.map((m) => m.subject),
    ['inventory.cmd.release', 'payment.cmd.void', 'order.evt.saga.failed'],
  )
  t.same(w.outcomes.map((o) => [o.orderId, o.outcome, o.failureReason]), [[id, 'FAILED', 'PAYMENT_DECLINED']])
  t.same(
    w.stateExits,
    [
      { state: 'AUTHORIZING', seconds: 5 },
      { state: 'COMPENSATING', seconds: 0 },
    ],
    'each state left, timed from when the saga entered it (the fixture at T0, then the clock)',
  )
  t.same(changes.saga(id)?.stateSince, clock.now, 'in FAILED since the move')
})

t.test('CANCELLING keeps the order CONFIRMED; a refusal is on the timeline only', async (t) => {
  const id = sagaIn.CONFIRMED.orderId
  const changes = new SagaChanges([fromRow(rowOf(sagaIn.CONFIRMED, 'CONFIRMED'))])
  changes.apply(id, { kind: 'cancel-requested' }, clock)
  changes.apply(id, { kind: 'shipment-cancel-refused' }, clock)
  const w = changes.writes()
  t.same(w.orders, [], 'the status did not change')
  t.same(w.stateExits.map((e) => e.state), ['CONFIRMED', 'CANCELLING'], 'there and back: both states timed')
  t.same(
    w.timeline.map((e) => e.type),
    ['CANCEL_REFUSED'],
  )
  t.same(
    w.outbox.map((m) => m.type),
    ['orderflow.fulfillment.cancel.v1'],
  )
  t.equal(changes.apply('00000000-0000-4000-8000-000000000000', { kind: 'reserved' }, clock), undefined, 'an order not loaded is not moved')
})

t.test('a note put before a mark comes ahead of the steps written since: the cause before what it caused', async (t) => {
  const id = sagaIn.CANCELLING.orderId
  const changes = new SagaChanges([fromRow(rowOf(sagaIn.CANCELLING, 'CONFIRMED'))])
  const mark = changes.timelineMark()
  changes.apply(id, { kind: 'shipment-cancelled' }, clock)
  changes.note(id, 'SHIPMENT_CANCELLED', clock.now, null, null, mark)
  t.same(
    changes.writes().timeline.map((e) => [e.type, e.at]),
    [
      ['SHIPMENT_CANCELLED', clock.now.toISOString()],
      ['COMPENSATING', clock.now.toISOString()],
    ],
    'same millisecond, written in cause order',
  )
})
