import { randomUUID } from 'node:crypto'
import t from 'tap'
import { OrderConfirmed } from '@orderflow/contracts'
import { accessMatrix, testAccess, handleBatch, type AccessTable } from '@orderflow/testing/service'
import { sagaConsumer } from '../src/consumers/consumers.js'
import { notifyConsumer } from '../src/consumers/notify.consumer.js'
import { recipientConsumer, type OrderCreatedEvent } from '../src/consumers/recipient.consumer.js'
import { eventOf, notificationTestbed, orderCreated, quietLogger } from './testbed.js'

// Every route of the notification service × every kind of caller, from the app's own route
// table: a route added without a row here fails the first test.
const tb = await notificationTestbed(t)
const own = `c-${randomUUID().slice(0, 8)}`
const other = `c-${randomUUID().slice(0, 8)}`

// An order of `own`'s with one notification, recorded through the consumers.
const orderId = randomUUID()
await handleBatch(tb.ctx, recipientConsumer({ logger: quietLogger }), [orderCreated(orderId, 'ada@example.com', own) as OrderCreatedEvent])
await handleBatch(tb.ctx, notifyConsumer(sagaConsumer, { logger: quietLogger }), [eventOf(OrderConfirmed, orderId)])

const table: AccessTable = {
  'GET /v1/notifications': {
    roles: ['orders:read', 'customer'],
    request: () => ({ url: `/v1/notifications?orderId=${orderId}` }),
    // Another customer's order lists nothing, as an unknown order does: its existence is not disclosed.
    expect: { 'wrong role': 403, 'customer own': 200, 'customer other': 200, staff: 200 },
  },
}

const matrix = accessMatrix(tb.app, table, { own, other })

testAccess(t, matrix)

t.test("a customer sees its own order's notifications and none of another's", async (t) => {
  const list = async (sub: string) =>
    (await tb.app.inject({ method: 'GET', url: `/v1/notifications?orderId=${orderId}`, headers: tb.auth(['customer'], { sub }) })).json<{ items: unknown[] }>().items
  t.equal((await list(own)).length, 1)
  t.same(await list(other), [])
})
