import { randomUUID } from 'node:crypto'
import t from 'tap'
import { handleBatch } from '@orderflow/testing/service'
import { authorizeFor, paymentConsumers, paymentTestbed } from './testbed.js'

const tb = await paymentTestbed(t)
const { authorize } = paymentConsumers(tb)
const reader = tb.auth(['payments:read'])
const get = (url: string, headers: Record<string, string> = reader) => tb.app.inject({ method: 'GET', url, headers })

t.test("GET /v1/payments?orderId= returns the payment and its provider calls", async (t) => {
  const orderId = randomUUID()
  await handleBatch(tb.ctx, authorize, [authorizeFor(orderId, 'tok_visa', 4200)])
  const res = await get(`/v1/payments?orderId=${orderId}`)
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    orderId,
    paymentId: /^[0-9a-f-]{36}$/,
    status: 'AUTHORIZED',
    amount: 4200,
    currency: 'EUR',
    providerRef: /^sim_auth_/,
    transactions: [{ operation: 'AUTHORIZE', outcome: 'SUCCEEDED', providerRef: /^sim_auth_/, error: null, at: /^\d{4}-/ }],
  })
  t.notOk('decline' in res.json<object>())
})

t.test('a declined payment shows why', async (t) => {
  const orderId = randomUUID()
  await handleBatch(tb.ctx, authorize, [authorizeFor(orderId, 'tok_insufficient_funds', 100)])
  t.match((await get(`/v1/payments?orderId=${orderId}`)).json(), {
    status: 'DECLINED',
    decline: { reason: 'INSUFFICIENT_FUNDS' },
    transactions: [{ outcome: 'DECLINED', error: /INSUFFICIENT_FUNDS/ }],
  })
})

t.test('errors: 404 unknown order, 400 missing or malformed orderId, 401 without token, 403 without the role', async (t) => {
  const missing = await get(`/v1/payments?orderId=${randomUUID()}`)
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'PAYMENT_NOT_FOUND' })
  t.match((await get('/v1/payments')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  t.match((await get('/v1/payments?orderId=nope')).json(), { status: 400, code: 'VALIDATION_FAILED', errors: [{ field: /orderId/ }] })
  t.match((await get(`/v1/payments?orderId=${randomUUID()}&extra=1`)).json(), { status: 400 })
  t.equal((await tb.app.inject({ method: 'GET', url: `/v1/payments?orderId=${randomUUID()}` })).statusCode, 401)
  const forbidden = await get(`/v1/payments?orderId=${randomUUID()}`, tb.auth(['orders:read']))
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.json(), { code: 'FORBIDDEN', missingRoles: ['payments:read'] })
})

t.test('the OpenAPI document lists the route with its role', async (t) => {
  const doc = (await tb.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: unknown }>> }>()
  t.match(doc.paths['/v1/payments']?.get?.security, [{ bearerAuth: ['payments:read'] }])
})
