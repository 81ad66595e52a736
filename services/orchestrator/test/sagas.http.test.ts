import { randomUUID } from 'node:crypto'
import t from 'tap'
import { advanceSaga } from '../src/use-cases/apply-input.js'
import { startOrderSaga } from '../src/use-cases/start-saga.js'
import { orderData, sagaTestbed } from './testbed.js'

// The operators' view and the metrics; nothing runs in the background here.
const tb = await sagaTestbed(t)
const ops = tb.auth(['ops:dlq'])
const clock = () => ({ now: new Date(), stepTimeoutMs: 10_000 })

async function declinedSaga(): Promise<string> {
  const orderId = randomUUID()
  const order = orderData(orderId)
  await tb.orm.em.fork().transactional((em) => startOrderSaga(em, order, clock()))
  await tb.orm.em.fork().transactional((em) => advanceSaga(em, orderId, { kind: 'reserved' }, clock()))
  await tb.orm.em.fork().transactional((em) => advanceSaga(em, orderId, { kind: 'declined', message: 'Card declined.' }, clock()))
  return orderId
}

t.test('GET /v1/sagas/:orderId shows state, steps done, deadline and failure', async (t) => {
  const id = await declinedSaga()
  const res = await tb.app.inject({ method: 'GET', url: `/v1/sagas/${id}`, headers: ops })
  t.equal(res.statusCode, 200)
  const body = res.json<Record<string, unknown>>()
  t.match(body, {
    orderId: id,
    state: 'COMPENSATING',
    version: 3,
    deadlineAt: String,
    steps: { stockReserved: String, stockReleaseRequested: String, paymentVoidRequested: String },
    failure: { reason: 'PAYMENT_DECLINED', message: 'The payment was declined: Card declined.' },
  })
  t.notOk('paymentAuthorized' in (body.steps as object), 'steps not done are absent')
  t.notOk('customerEmail' in body || 'paymentToken' in body || 'items' in body, 'no order data leaks')
})

t.test('errors: unknown saga 404, malformed id 400, no token 401, wrong role 403', async (t) => {
  const missing = randomUUID()
  const notFound = await tb.app.inject({ method: 'GET', url: `/v1/sagas/${missing}`, headers: ops })
  t.equal(notFound.statusCode, 404)
  t.match(notFound.json(), { code: 'SAGA_NOT_FOUND', orderId: missing })
  t.equal((await tb.app.inject({ method: 'GET', url: '/v1/sagas/not-a-uuid', headers: ops })).statusCode, 400)
  t.equal((await tb.app.inject({ method: 'GET', url: `/v1/sagas/${missing}` })).statusCode, 401)
  const forbidden = await tb.app.inject({ method: 'GET', url: `/v1/sagas/${missing}`, headers: tb.auth(['orders:read']) })
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.json(), { code: 'FORBIDDEN', missingRoles: ['ops:dlq'] })
})

t.test('/metrics counts sagas in flight by state', async (t) => {
  await declinedSaga()
  const res = await tb.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.body, /sagas_in_flight\{state="COMPENSATING"\} [1-9]/)
  t.match(res.body, /sagas_in_flight\{state="RESERVING"\} 0/)
  t.match(res.body, /# TYPE saga_duration_seconds histogram/)
  t.match(res.body, /# TYPE sagas_finished_total counter/)
})
