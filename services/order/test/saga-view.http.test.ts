import { randomUUID } from 'node:crypto'
import t from 'tap'
import { orderTestbed, replies, sagaHarness } from './testbed.js'

// The operators' view of an order's saga, the saga metrics and the dead-letter API the order
// service now serves; nothing runs in the background.
const tb = await orderTestbed(t)
const h = sagaHarness(tb)
const ops = tb.auth(['ops:dlq'])
const view = (id: string, headers: Record<string, string> = ops) => tb.app.inject({ method: 'GET', url: `/v1/orders/${id}/saga`, headers })

t.test('GET /v1/orders/:id/saga shows state, version, steps done, deadline and failure', async (t) => {
  const id = await h.place()
  await h.deliver(replies.reserved(id), replies.declined(id, 'Card declined.'))
  const res = await view(id)
  t.equal(res.statusCode, 200)
  const body = res.json<Record<string, unknown>>()
  t.match(body, {
    orderId: id,
    state: 'COMPENSATING',
    version: 3,
    deadlineAt: /^\d{4}-\d\d-\d\dT.*Z$/,
    steps: { stockReserved: String, stockReleaseRequested: String, paymentVoidRequested: String },
    failure: { reason: 'PAYMENT_DECLINED', message: 'The payment was declined: Card declined.' },
    createdAt: String,
    updatedAt: String,
  })
  t.same(Object.keys(body.steps as object).sort(), ['paymentVoidRequested', 'stockReleaseRequested', 'stockReserved'], 'steps not done are absent')
  t.notOk('paymentToken' in body || 'items' in body || 'customerEmail' in body, 'no order data, no card token')
  const [since] = await tb.orm.em.fork().execute<{ moved: boolean }[]>('select state_since = updated_at as moved from sagas where order_id = ?', [id])
  t.same(since, { moved: true }, 'state_since set by the write that moved the saga')

  await h.deliver(replies.released(id), replies.voided(id))
  const finished = (await view(id)).json<Record<string, unknown>>()
  t.match(finished, { state: 'FAILED', version: 5, steps: { stockReleased: String, paymentVoided: String } })
  t.notOk('deadlineAt' in finished, 'nothing owed: no deadline')
})

t.test('a cancelled order shows the cancel and its reason', async (t) => {
  const id = await h.place()
  await h.cancel(id, 'changed my mind')
  t.match((await view(id)).json(), { state: 'COMPENSATING', cancelReason: 'changed my mind', steps: { cancelRequested: String, stockReleaseRequested: String } })
})

t.test('errors: unknown order 404, malformed id 400, no token 401, without ops:dlq 403', async (t) => {
  const missing = randomUUID()
  const notFound = await view(missing)
  t.equal(notFound.statusCode, 404)
  t.match(notFound.json(), { code: 'ORDER_NOT_FOUND', orderId: missing })
  const malformed = await view('not-a-uuid')
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { code: 'VALIDATION_FAILED', errors: [{ field: /id/ }] })
  t.equal((await tb.app.inject({ method: 'GET', url: `/v1/orders/${missing}/saga` })).statusCode, 401)
  const id = await h.place()
  const forbidden = await view(id, tb.auth(['orders:read', 'orders:write']))
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.json(), { code: 'FORBIDDEN', missingRoles: ['ops:dlq'] })
})

t.test('/metrics counts sagas in flight by state, with the oldest in each, and times the states left', async (t) => {
  const id = await h.place()
  await tb.orm.em.fork().execute(`update sagas set state_since = now() - interval '2 hours' where order_id = ?`, [id])
  const res = await tb.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.body, /sagas_in_flight\{state="RESERVING"\} [1-9]/)
  t.match(res.body, /sagas_in_flight\{state="CANCELLING"\} 0/)
  t.notMatch(res.body, /sagas_in_flight\{state="FAILED"\}/, 'finished sagas are not in flight')
  t.match(res.body, /# TYPE saga_duration_seconds histogram/)
  t.match(res.body, /sagas_finished_total\{outcome="FAILED",reason="PAYMENT_DECLINED"\} 1/, 'outcomes of the consumers, on the same registry')
  t.match(res.body, /sagas_oldest_in_state_seconds\{state="RESERVING"\} 7\d{3}(\.\d+)?\n/, 'in RESERVING for two hours')
  t.match(res.body, /sagas_oldest_in_state_seconds\{state="CANCELLING"\} 0\n/)
  t.match(res.body, /saga_state_duration_seconds_count\{state="AUTHORIZING"\} [1-9]/, 'states the consumers moved sagas out of')
})

t.test('the order service serves the dead-letter API, for ops:dlq only', async (t) => {
  const list = await tb.app.inject({ method: 'GET', url: '/v1/dead-letters', headers: ops })
  t.equal(list.statusCode, 200)
  const forbidden = await tb.app.inject({ method: 'GET', url: '/v1/dead-letters', headers: tb.auth(['orders:read']) })
  t.equal(forbidden.statusCode, 403)
  const doc = (await tb.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: unknown }>> }>()
  t.match(doc.paths['/v1/orders/{id}/saga']?.get?.security, [{ bearerAuth: ['ops:dlq'] }])
  t.ok(doc.paths['/v1/dead-letters']?.get, 'GET /v1/dead-letters is documented')
})
