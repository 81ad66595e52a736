import { randomUUID } from 'node:crypto'
import t from 'tap'
import { accessMatrix, testAccess, handleBatch, type AccessTable } from '@orderflow/testing/service'
import { authorizeFor, paymentConsumers, paymentTestbed } from './testbed.js'

// Every route of the payment service × every kind of caller, from the app's own route table: a
// route added without a row here fails the first test.
const tb = await paymentTestbed(t)
const { authorize } = paymentConsumers(tb)
const own = `c-${randomUUID().slice(0, 8)}`
const other = `c-${randomUUID().slice(0, 8)}`
const orderId = randomUUID()
await handleBatch(tb.ctx, authorize, [authorizeFor(orderId, 'tok_visa', 2500, own)])

const table: AccessTable = {
  'GET /v1/payments': {
    roles: ['payments:read', 'customer'],
    request: () => ({ url: `/v1/payments?orderId=${orderId}` }),
    expect: { 'wrong role': 403, 'customer own': 200, 'customer other': 404, staff: 200 },
  },
}

const matrix = accessMatrix(tb.app, table, { own, other })

testAccess(t, matrix)

t.test("another customer's payment is the same 404 as an unknown one", async (t) => {
  const get = (id: string) => tb.app.inject({ method: 'GET', url: `/v1/payments?orderId=${id}`, headers: tb.auth(['customer'], { sub: other }) })
  const theirs = await get(orderId)
  const unknown = await get(randomUUID())
  t.match(theirs.json(), { code: 'PAYMENT_NOT_FOUND' })
  t.equal(theirs.statusCode, unknown.statusCode)
  t.equal(theirs.json<{ code: string }>().code, unknown.json<{ code: string }>().code)
})

t.test('a payment whose command named no customer answers staff only', async (t) => {
  const legacy = randomUUID()
  const command = authorizeFor(legacy, 'tok_visa', 100, own)
  delete (command.data as { customerId?: string }).customerId
  await handleBatch(tb.ctx, authorize, [command])
  const get = (headers: Record<string, string>) => tb.app.inject({ method: 'GET', url: `/v1/payments?orderId=${legacy}`, headers })
  t.equal((await get(tb.auth(['customer'], { sub: own }))).statusCode, 404)
  t.equal((await get(tb.auth(['payments:read']))).statusCode, 200)
})
