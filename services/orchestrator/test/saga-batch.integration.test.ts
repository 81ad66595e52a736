import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  makeEvent,
  OrderCreated,
  PaymentAuthorized,
  PaymentCaptured,
  StockCommitted,
  StockReserved,
  type CloudEvent,
  type MessageDefinition,
} from '@orderflow/contracts'
import { PermanentError } from '@orderflow/messaging'
import { batchOf } from '@orderflow/testing/service'
import type { TSchema, Static } from 'typebox'
import { sagaBatchHandler } from '../src/consumers/saga.consumer.js'
import { Saga } from '../src/entities/saga.entity.js'
import { orderData, sagaTestbed } from './testbed.js'

// The batch handler called directly, on the real database; nothing runs in the background.
const tb = await sagaTestbed(t)

const event = <S extends TSchema>(def: MessageDefinition<S>, orderId: string, data: Static<S>): CloudEvent =>
  makeEvent(def, { source: 'orderflow/test', subject: orderId, data })
const created = (orderId: string) => event(OrderCreated, orderId, orderData(orderId))
const reserved = (orderId: string) => event(StockReserved, orderId, { orderId, items: [{ sku: 'SKU-1', quantity: 1 }] })
const settled = (orderId: string) => ({ orderId, paymentId: randomUUID(), amount: 2500, currency: 'EUR' })
const states = async (ids: readonly string[]) => Promise.all(ids.map(async (id) => (await tb.saga(id))?.state ?? null))

t.test('a batch starts and moves several sagas, two events of one saga in turn', async (t) => {
  const handle = sagaBatchHandler(tb.ctx, 'test-batch')
  const [a, b] = [randomUUID(), randomUUID()]
  const events = [created(a), created(b), reserved(a)]
  await handle(batchOf([...events, events[2]!]))
  t.same(await states([a, b]), ['AUTHORIZING', 'RESERVING'], 'the repeated event moved its saga once')
  await handle(batchOf(events))
  t.same(await states([a, b]), ['AUTHORIZING', 'RESERVING'], 'a redelivered batch changes nothing')
})

t.test('an event for an order with no saga fails the batch, and nothing of it commits', async (t) => {
  const handle = sagaBatchHandler(tb.ctx, 'test-batch')
  const [a, stranger] = [randomUUID(), randomUUID()]
  await t.rejects(handle(batchOf([created(a), reserved(stranger)])), PermanentError)
  t.same(await states([a, stranger]), [null, null])
})

t.test("two consumers' batches over the same sagas, in opposite orders, both commit", async (t) => {
  const orders = Array.from({ length: 6 }, () => randomUUID())
  const start = sagaBatchHandler(tb.ctx, 'test-start')
  await start(batchOf(orders.map(created)))
  await start(batchOf(orders.map(reserved)))
  await start(batchOf(orders.map((id) => event(PaymentAuthorized, id, settled(id)))))
  t.same(await states(orders), orders.map(() => 'CONFIRMED'))
  const inventory = sagaBatchHandler(tb.ctx, 'test-inventory')
  const payments = sagaBatchHandler(tb.ctx, 'test-payments')
  await Promise.all([
    inventory(batchOf(orders.map((id) => event(StockCommitted, id, { orderId: id })))),
    payments(batchOf([...orders].reverse().map((id) => event(PaymentCaptured, id, settled(id))))),
  ])
  for (const id of orders) {
    const saga = await tb.saga(id)
    t.ok(saga?.committedAt && saga.capturedAt, 'both facts recorded, neither overwritten')
  }
})

t.test('a move of a saga racing a batch over it is never overwritten', async (t) => {
  const handle = sagaBatchHandler(tb.ctx, 'test-race')
  const [a, b] = [randomUUID(), randomUUID()]
  await handle(batchOf([created(a), created(b)]))
  // Another move of b (as the deadline worker makes), racing the batch below.
  const batch = handle(batchOf([reserved(a), reserved(b)]))
  const other = tb.orm.em
    .fork()
    .transactional(async (em) => {
      const saga = await em.findOneOrFail(Saga, { orderId: b })
      saga.state = 'COMPENSATING'
    })
    .then(
      () => 'committed',
      (error: unknown) => (error instanceof Error ? error.name : String(error)),
    )
  const [batchOutcome, otherOutcome] = await Promise.all([batch.then(() => 'committed'), other])
  const [sagaA, sagaB] = await states([a, b])
  t.equal(batchOutcome, 'committed')
  t.equal(sagaA, 'AUTHORIZING')
  if (otherOutcome === 'committed') t.equal(sagaB, 'COMPENSATING', 'both committed: the batch saw the other move, or the other move came after it')
  else t.same([otherOutcome, sagaB], ['OptimisticLockError', 'AUTHORIZING'], 'the other move lost its version check, and would retry')
})
