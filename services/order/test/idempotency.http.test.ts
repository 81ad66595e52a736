import { randomUUID } from 'node:crypto'
import t from 'tap'
import { orderBody, orderTestbed } from './testbed.js'

const tb = await orderTestbed(t)
const alice = tb.auth(['orders:write'], { sub: 'alice' })

const post = (payload: unknown, key: string | undefined, who: Record<string, string> = alice) =>
  tb.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { 'content-type': 'application/json', ...who, ...(key === undefined ? {} : { 'idempotency-key': key }) },
    payload: JSON.stringify(payload),
  })

const ordersOf = async (customerId: string): Promise<number> => {
  const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from orders where customer_id = ?', [customerId])
  return Number(row?.n)
}

const placedTotal = async (): Promise<number> => (await tb.ctx.registry.getSingleMetric('orders_placed_total')?.get())?.values[0]?.value ?? NaN

t.test('the same key and body replays the first response', async (t) => {
  const key = randomUUID()
  const body = orderBody({ customerId: 'replay' })
  const placedBefore = await placedTotal()
  const first = await post(body, key)
  t.equal(first.statusCode, 202)
  t.notOk(first.headers['idempotent-replayed'])
  // Keys compare bodies, not bytes: the same order with its keys in another order is the same request.
  const reordered = Object.fromEntries(Object.entries(body).reverse())
  const second = await post(reordered, key)
  t.equal(second.statusCode, 202)
  t.equal(second.headers['idempotent-replayed'], 'true')
  t.equal(second.headers.location, first.headers.location)
  t.same(second.json(), first.json(), 'the very same body')
  t.equal(await ordersOf('replay'), 1, 'one order')
  t.equal((await placedTotal()) - placedBefore, 1, 'orders_placed_total counts it once')
  const [saga] = await tb.orm.em.fork().execute<{ sagas: string; reserves: string }[]>(
    `select (select count(*) from sagas s join orders o on o.id = s.order_id where o.customer_id = 'replay') as sagas,
            (select count(*) from outbox m join orders o on o.id = (m.payload->>'subject')::uuid
              where o.customer_id = 'replay' and m.type = 'orderflow.inventory.reserve.v1') as reserves`,
  )
  t.same([Number(saga?.sagas), Number(saga?.reserves)], [1, 1], 'one saga, one ReserveStock: the replay started nothing')
})

t.test('the same key with another body is 422 and changes nothing', async (t) => {
  const key = randomUUID()
  t.equal((await post(orderBody({ customerId: 'mismatch' }), key)).statusCode, 202)
  const res = await post(orderBody({ customerId: 'mismatch', currency: 'USD' }), key)
  t.equal(res.statusCode, 422)
  t.match(res.json(), { code: 'IDEMPOTENCY_KEY_REUSED' })
  t.equal(await ordersOf('mismatch'), 1)
})

t.test('a key whose first request is still in flight is 409', async (t) => {
  const key = randomUUID()
  const body = orderBody({ customerId: 'inflight' })
  // The first request has claimed the key and not finished: its claim row, as claimKey writes it.
  const { requestHash } = await import('../src/idempotency/request-hash.js')
  await tb.orm.em.fork().execute(
    `insert into idempotency_keys (owner, key, request_hash, state, locked_until, created_at, expires_at)
     values ('alice', ?, ?, 'IN_FLIGHT', now() + interval '30 seconds', now(), now() + interval '1 day')`,
    [key, requestHash('POST /v1/orders', body)],
  )
  const res = await post(body, key)
  t.equal(res.statusCode, 409)
  t.match(res.json(), { code: 'IDEMPOTENCY_KEY_IN_FLIGHT' })
  t.equal(res.headers['retry-after'], '1')
  t.equal(await ordersOf('inflight'), 0)
})

t.test('an abandoned claim (lease expired) is taken over by a retry of the same request', async (t) => {
  const key = randomUUID()
  const body = orderBody({ customerId: 'abandoned' })
  const { requestHash } = await import('../src/idempotency/request-hash.js')
  await tb.orm.em.fork().execute(
    `insert into idempotency_keys (owner, key, request_hash, state, locked_until, created_at, expires_at)
     values ('alice', ?, ?, 'IN_FLIGHT', now() - interval '1 second', now(), now() + interval '1 day')`,
    [key, requestHash('POST /v1/orders', body)],
  )
  const res = await post(body, key)
  t.equal(res.statusCode, 202)
  t.equal(await ordersOf('abandoned'), 1)
})

t.test('two concurrent requests with one key create one order', async (t) => {
  for (let round = 0; round < 5; round++) {
    const key = randomUUID()
    const body = orderBody({ customerId: `race-${round}` })
    const results = await Promise.all([post(body, key), post(body, key), post(body, key)])
    const statuses = results.map((r) => r.statusCode)
    t.ok(statuses.every((s) => s === 202 || s === 409), `only 202 or 409: ${statuses.join(',')}`)
    const fresh = results.filter((r) => r.statusCode === 202 && !r.headers['idempotent-replayed'])
    t.equal(fresh.length, 1, 'exactly one request created the order')
    t.equal(await ordersOf(`race-${round}`), 1, 'one order stored')
  }
})

t.test('keys are scoped to the caller', async (t) => {
  const key = randomUUID()
  const body = orderBody({ customerId: 'scoped' })
  t.equal((await post(body, key)).statusCode, 202)
  const bob = await post(body, key, tb.auth(['orders:write'], { sub: 'bob' }))
  t.equal(bob.statusCode, 202)
  t.notOk(bob.headers['idempotent-replayed'], "bob's request is his own")
  t.equal(await ordersOf('scoped'), 2)
})

t.test('an expired key is forgotten: the request runs again', async (t) => {
  const key = randomUUID()
  const body = orderBody({ customerId: 'expired' })
  t.equal((await post(body, key)).statusCode, 202)
  await tb.orm.em.fork().execute(`update idempotency_keys set expires_at = now() - interval '1 second' where key = ?`, [key])
  const again = await post(body, key)
  t.equal(again.statusCode, 202)
  t.notOk(again.headers['idempotent-replayed'])
  t.equal(await ordersOf('expired'), 2)
})

t.test('a failed request frees its key for a corrected retry', async (t) => {
  const key = randomUUID()
  const failed = await post(orderBody({ customerId: 'freed', items: [{ sku: 'NOT-PRICED', quantity: 1 }] }), key)
  t.equal(failed.statusCode, 422)
  t.match(failed.json(), { code: 'SKU_NOT_PRICED' })
  const retried = await post(orderBody({ customerId: 'freed' }), key)
  t.equal(retried.statusCode, 202, 'the key was released, so another body is fine')
  t.equal(await ordersOf('freed'), 1)
})

t.test('expired keys are deleted by the cleanup', async (t) => {
  const { deleteExpiredKeys } = await import('../src/idempotency/idempotency-store.js')
  const key = randomUUID()
  t.equal((await post(orderBody({ customerId: 'cleanup' }), key)).statusCode, 202)
  await tb.orm.em.fork().execute(`update idempotency_keys set expires_at = now() - interval '1 second' where key = ?`, [key])
  t.ok((await deleteExpiredKeys(tb.orm.em.fork())) >= 1)
  const rows = await tb.orm.em.fork().execute('select 1 from idempotency_keys where key = ?', [key])
  t.equal(rows.length, 0)
})

t.test('a malformed key is a 400 naming the header', async (t) => {
  const long = await post(orderBody(), 'k'.repeat(256))
  t.equal(long.statusCode, 400)
  t.match(long.json(), { code: 'VALIDATION_FAILED', errors: [{ field: /idempotency-key/ }] })
  const spaced = await post(orderBody(), 'has a space')
  t.equal(spaced.statusCode, 400)
})
