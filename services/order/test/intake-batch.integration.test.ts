import { randomUUID } from 'node:crypto'
import t from 'tap'
import { refusedForSomeRow } from '../src/repositories/intake-writes.js'
import { sql } from 'kysely'
import { insertPlacedOrders, storePlacedOrders } from '../src/repositories/place-order.sql.js'
import { placeOrder, type PricedOrder } from '../src/use-cases/place-order.js'
import { orderBody, orderTestbed, priceItems } from './testbed.js'

const tb = await orderTestbed(t)
const TIMINGS = { stepTimeoutMs: 10_000, giveUpAfterMs: 300_000 }

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] }

/** Every node of an `explain (format json)` plan. */
function planNodes(explained: unknown): PlanNode[] {
  const walk = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(walk)]
  return (explained as Array<{ Plan: PlanNode }>).flatMap((e) => walk(e.Plan))
}
const writer = tb.auth(['orders:write', 'orders:read'], { sub: 'batcher' })

const count = async (sql: string, params: unknown[] = []): Promise<number> => {
  const [row] = await tb.orm.em.fork().execute<{ n: string }[]>(sql, params)
  return Number(row?.n)
}

/** The order_intake_statement_requests histogram: statements run and requests served, by write. */
async function statementCounts(): Promise<Record<'claim' | 'store', { statements: number; requests: number }>> {
  const { values } = (await tb.ctx.registry.getSingleMetric('order_intake_statement_requests')!.get()) as { values: { labels: { write?: string }; metricName?: string; value: number }[] }
  const pick = (write: string, name: string) => values.find((v) => v.labels.write === write && v.metricName === name)?.value ?? 0
  const of = (write: string) => ({ statements: pick(write, 'order_intake_statement_requests_count'), requests: pick(write, 'order_intake_statement_requests_sum') })
  return { claim: of('claim'), store: of('store') }
}

t.test('orders posted at once are stored by fewer statements, each as its 202 said, keys and all', async (t) => {
  const customerId = `burst-${randomUUID()}`
  const keys = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? randomUUID() : undefined))
  for (let i = 0; i < 40; i++) await priceItems(tb, orderBody({ items: [{ sku: `SKU-${i}`, quantity: 1, unitPrice: 100 + i }] }))
  const responses = await Promise.all(
    keys.map((key, i) =>
      tb.app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { 'content-type': 'application/json', ...writer, ...(key ? { 'idempotency-key': key } : {}) },
        payload: JSON.stringify(orderBody({ customerId, items: [{ sku: `SKU-${i}`, quantity: 1 + (i % 3), unitPrice: 100 + i }] })),
      }),
    ),
  )
  t.same(
    responses.map((r) => r.statusCode),
    keys.map(() => 202),
  )
  for (const res of responses) {
    const stored = await tb.app.inject({ method: 'GET', url: res.headers.location as string, headers: writer })
    t.same(stored.json(), res.json(), `${res.headers.location as string} reads back as its 202 said`)
  }
  // Rows inserted by one transaction share its id (xmin): fewer ids than orders means batches.
  const transactions = await count('select count(distinct xmin::text) as n from orders where customer_id = ?', [customerId])
  t.ok(transactions < 40 / 2, `40 orders in ${transactions} transactions`)
  t.equal(await count(`select count(*) as n from outbox where payload->'data'->>'customerId' = ?`, [customerId]), 40, 'one order.created each')
  t.equal(
    await count(`select count(*) as n from sagas s join orders o on o.id = s.order_id where o.customer_id = ? and s.state = 'RESERVING' and s.xmin = o.xmin`, [customerId]),
    40,
    'each order with its saga, written by the same statement',
  )
  t.equal(
    await count(`select count(*) as n from outbox m join orders o on o.id = (m.payload->>'subject')::uuid where o.customer_id = ? and m.type = 'orderflow.inventory.reserve.v1'`, [customerId]),
    40,
    'and its ReserveStock',
  )
  const statements = await statementCounts()
  t.same([statements.store.requests, statements.claim.requests], [40, 20], 'the metric counts every request once')
  t.ok(statements.store.statements < 40 / 2 && statements.claim.statements < 20, `orders in ${statements.store.statements} statements, keys in ${statements.claim.statements}`)

  // Each keyed request's stored response replays: the batch completed its key too.
  const i = 4
  const replay = await tb.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { 'content-type': 'application/json', ...writer, 'idempotency-key': keys[i]! },
    payload: JSON.stringify(orderBody({ customerId, items: [{ sku: `SKU-${i}`, quantity: 1 + (i % 3), unitPrice: 100 + i }] })),
  })
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.same(replay.json(), responses[i]!.json())
})

t.test('a batch PostgreSQL refuses stores none of its orders, and says the data was at fault', async (t) => {
  const customerId = `refused-${randomUUID()}`
  const batch = [1, 2, 3].map(() => ({ placed: placeOrder(orderBody({ customerId }) as unknown as PricedOrder, 'batcher', TIMINGS) }))
  // The API's schema and the event's contract would refuse this; here it reaches the database,
  // whose column holds 200 characters.
  const tooLong = batch[1]!.placed.order as { createdBy: string }
  tooLong.createdBy = 'x'.repeat(300)
  const error = await insertPlacedOrders(tb.ctx.db, batch).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.match(error, { code: '22001' }, 'value too long')
  t.ok(refusedForSomeRow(error), 'worth writing the orders again one by one')
  t.equal(await count('select count(*) as n from orders where customer_id = ?', [customerId]), 0, 'nothing stored')
  t.equal(await count(`select count(*) as n from outbox where payload->'data'->>'customerId' = ?`, [customerId]), 0, 'nothing published')
  const ids = batch.map((b) => b.placed.order.id)
  t.equal(await count('select count(*) as n from sagas where order_id in (?, ?, ?)', ids), 0, 'no saga started')

  // The good ones alone go through, as the batcher's retry writes them.
  await insertPlacedOrders(tb.ctx.db, [batch[0]!])
  await insertPlacedOrders(tb.ctx.db, [batch[2]!])
  t.equal(await count('select count(*) as n from orders where customer_id = ?', [customerId]), 2)
})

t.test('an error that is not about a row is not retried row by row', async (t) => {
  t.notOk(refusedForSomeRow(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))
  t.notOk(refusedForSomeRow(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })))
  t.notOk(refusedForSomeRow(new Error('no code')))
  t.notOk(refusedForSomeRow(undefined))
  t.ok(refusedForSomeRow({ code: '23505' }), 'unique violation')
})

t.test('a keyed store finds its keys by primary key, not by reading the whole key table', async (t) => {
  // A table of keys like a day's traffic, with its statistics known.
  await tb.orm.em.fork().execute(
    `insert into idempotency_keys (owner, key, request_hash, state, locked_until, created_at, expires_at)
     select 'plan-owner', 'k-' || n, 'h', 'DONE', now(), now(), now() + interval '1 day' from generate_series(1, 20000) n`,
  )
  await tb.orm.em.fork().execute('analyze idempotency_keys')
  const batch = [1, 2, 3].map((n) => ({
    placed: placeOrder(orderBody({ customerId: `plan-${n}` }) as unknown as PricedOrder, 'plan-owner', TIMINGS),
    keyed: { ref: { owner: 'plan-owner', key: `k-${n}` }, response: { body: { n }, location: `/v1/orders/${n}` } },
  }))
  const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${storePlacedOrders(batch)}`.execute(tb.orm.em.fork().getKysely())
  const scans = planNodes(rows[0]?.['QUERY PLAN']).filter((n) => n['Relation Name'] === 'idempotency_keys' && String(n['Node Type']).endsWith('Scan'))
  t.same(
    scans.map((n) => [n['Node Type'], n['Index Name']]),
    [['Index Scan', 'idempotency_keys_pkey']],
    'one look-up per key through the primary key, no scan of the table',
  )
})
