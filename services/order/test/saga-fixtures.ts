import { randomUUID } from 'node:crypto'
import { checkEvent, makeEvent } from '@orderflow/contracts'
import type { Saga, SagaProgress, SagaState, Transition } from '../src/saga/saga.js'

export const T0 = new Date('2026-01-01T10:00:00.000Z')
export const clock = { now: new Date('2026-01-01T10:00:05.000Z'), stepTimeoutMs: 10_000, giveUpAfterMs: 300_000 }
/** The same clock once a verdict step of a saga placed at T0 has waited its give-up time. */
export const giveUpClock = { ...clock, now: new Date(T0.getTime() + clock.giveUpAfterMs) }
export const ORDER_ID = '7d1b1c4e-8d0e-4a43-9d55-0b7d2a9f0c11'

const base: Saga = {
  orderId: ORDER_ID,
  customerId: 'c-42',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  totalAmount: 3499,
  items: [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1250 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 999 },
  ],
  paymentToken: null,
  shippingAddress: { name: 'Ada', line1: '1 Loop St', city: 'London', postalCode: 'N1', country: 'GB' },
  createdAt: T0,
  state: 'RESERVING',
}

const confirmed: Partial<SagaProgress> = { reservedAt: T0, authorizedAt: T0, confirmedAt: T0, shipmentRequestedAt: T0, deadlineAt: T0 }

/** A typical saga in each state, as the machine would have left it. */
export const sagaIn: Record<SagaState, Saga> = {
  RESERVING: { ...base, state: 'RESERVING', paymentToken: 'tok_visa', deadlineAt: T0 },
  AUTHORIZING: { ...base, state: 'AUTHORIZING', paymentToken: 'tok_visa', reservedAt: T0, deadlineAt: T0 },
  CONFIRMED: { ...base, ...confirmed, state: 'CONFIRMED' },
  CANCELLING: { ...base, ...confirmed, state: 'CANCELLING', cancelRequestedAt: T0, shipmentCancelRequestedAt: T0 },
  SHIPPED: { ...base, ...confirmed, state: 'SHIPPED', committedAt: T0, capturedAt: T0, shippedAt: T0, deadlineAt: null },
  DELIVERED: { ...base, ...confirmed, state: 'DELIVERED', committedAt: T0, capturedAt: T0, shippedAt: T0, deliveredAt: T0, deadlineAt: null },
  COMPENSATING: {
    ...base,
    state: 'COMPENSATING',
    reservedAt: T0,
    failureReason: 'PAYMENT_DECLINED',
    failureMessage: 'The payment was declined: insufficient funds',
    releaseRequestedAt: T0,
    voidRequestedAt: T0,
    deadlineAt: T0,
  },
  FAILED: { ...base, state: 'FAILED', failureReason: 'OUT_OF_STOCK', failureMessage: 'Some items are out of stock.' },
  CANCELLED: { ...base, state: 'CANCELLED', reservedAt: T0, cancelRequestedAt: T0, releaseRequestedAt: T0, releasedAt: T0, voidRequestedAt: T0, voidedAt: T0 },
}

/** The saga after a transition. */
export const after = (saga: Saga, t: Transition): Saga => ({ ...saga, ...t.changes })

/** Types of the messages a transition sends, short: `inventory.reserve`, `order.progressed:STOCK_RESERVED`. */
export function sent(t: Transition): string[] {
  return t.send.map((o) => {
    const short = o.definition.type.replace(/^orderflow\./, '').replace(/\.v1$/, '')
    const data = o.data
    const step = typeof data === 'object' && data !== null && 'step' in data ? `:${String(data.step)}` : ''
    return short + step
  })
}

/** Every message a transition sends must pass its contract, or the outbox would refuse it. */
export function contractProblems(t: Transition): string[] {
  return t.send.flatMap((o) => {
    const check = checkEvent(makeEvent(o.definition, { source: 'test', subject: ORDER_ID, id: randomUUID(), data: o.data }))
    return check.ok ? [] : [`${o.definition.type}: ${check.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`]
  })
}
