import t from 'tap'
import { OrderCancelled, OrderCancelRefused, OrderConfirmed, OrderFailed, OrderProgressed, ShipmentCancelled, ShipmentCancelRefused, ShipmentDelivered, ShipmentPicking, ShipmentShipped } from '@orderflow/contracts'
import { eventTypesOn, subjectMatches } from '../src/consumers/event-types.js'
import { nextAttemptAt } from '../src/domain/mail-retry.js'

t.test('a refused mail is retried after a wait that doubles up to the longest, until the last attempt', async (t) => {
  const policy = { minMs: 1_000, maxMs: 5_000, maxAttempts: 5 }
  const now = new Date('2026-01-01T00:00:00.000Z')
  const waits = [1, 2, 3, 4].map((attempts) => (nextAttemptAt(policy, attempts, now)?.getTime() ?? NaN) - now.getTime())
  t.same(waits, [1_000, 2_000, 4_000, 5_000])
  t.equal(nextAttemptAt(policy, 5, now), null, 'given up after the fifth')
  t.equal(nextAttemptAt(policy, 9, now), null)
})

t.test('subject filters match as NATS matches them', async (t) => {
  t.ok(subjectMatches('order.evt.saga.>', 'order.evt.saga.confirmed'))
  t.ok(subjectMatches('order.evt.saga.>', 'order.evt.saga.a.b'))
  t.notOk(subjectMatches('order.evt.saga.>', 'order.evt.saga'))
  t.notOk(subjectMatches('order.evt.saga.>', 'order.evt.created'))
  t.ok(subjectMatches('order.*.created', 'order.evt.created'))
  t.notOk(subjectMatches('order.*', 'order.evt.created'))
  t.ok(subjectMatches('order.evt.created', 'order.evt.created'))
  t.notOk(subjectMatches('order.evt.created', 'order.evt.created.x'))
})

t.test("the mail consumers take every event type published on their subjects, and only those", async (t) => {
  t.same([...eventTypesOn(['order.evt.saga.>'])].sort(), [OrderCancelRefused, OrderCancelled, OrderConfirmed, OrderFailed, OrderProgressed].map((d) => d.type).sort())
  t.same(
    [...eventTypesOn(['fulfillment.evt.>'])].sort(),
    [ShipmentCancelRefused, ShipmentCancelled, ShipmentDelivered, ShipmentPicking, ShipmentShipped].map((d) => d.type).sort(),
    'the commands on fulfillment.cmd are not among them',
  )
})
