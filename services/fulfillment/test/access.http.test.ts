import { randomUUID } from 'node:crypto'
import t from 'tap'
import { accessMatrix, testAccess, handleBatch, type AccessTable } from '@orderflow/testing/service'
import { createShipmentConsumer } from '../src/consumers/create-shipment.consumer.js'
import { createShipmentCommand, fulfillmentTestbed } from './testbed.js'

// Every route of the fulfillment service × every kind of caller, from the app's own route
// table: a route added without a row here fails the first test.
const tb = await fulfillmentTestbed(t)
const own = `c-${randomUUID().slice(0, 8)}`
const other = `c-${randomUUID().slice(0, 8)}`
const orderId = randomUUID()
const consumer = createShipmentConsumer({ schedule: { shipAfterMs: 60_000, deliverAfterMs: 60_000 }, logger: tb.ctx.logger })
await handleBatch(tb.ctx, consumer, [createShipmentCommand(orderId, { customerId: own })])

const table: AccessTable = {
  'GET /v1/shipments/:orderId': {
    roles: ['orders:read', 'customer'],
    request: () => ({ url: `/v1/shipments/${orderId}` }),
    expect: { 'wrong role': 403, 'customer own': 200, 'customer other': 404, staff: 200 },
  },
}

const matrix = accessMatrix(tb.app, table, { own, other })

testAccess(t, matrix)

t.test('a shipment whose command named no customer answers staff only', async (t) => {
  const legacy = randomUUID()
  const command = createShipmentCommand(legacy)
  delete command.data.customerId
  await handleBatch(tb.ctx, consumer, [command])
  const get = (headers: Record<string, string>) => tb.app.inject({ method: 'GET', url: `/v1/shipments/${legacy}`, headers })
  t.equal((await get(tb.auth(['customer'], { sub: 'c-42' }))).statusCode, 404)
  t.equal((await get(tb.auth(['orders:read']))).statusCode, 200)
})
