import { performance } from 'node:perf_hooks'
import t from 'tap'
import { runRate, type BusSnapshot, type Outcome, type OrderApi, type PlaceOrderResult, type RateRunContext } from '@orderflow/bench'

const quiet: BusSnapshot = { consumerBacklog: 0, backlogByConsumer: {}, deadLetters: 0, ordersCreated: 0, messagesByStream: {} }

/**
 * A fake platform: the API answers after `httpMs`, and the outcome event follows `sagaMs` later.
 * Every 10th order's saga fails; order 7 gets a 503.
 */
function fakeContext(httpMs: number, sagaMs: number): { ctx: RateRunContext; keys: string[] } {
  const outcomes = new Map<string, Outcome>()
  const keys: string[] = []
  const api: OrderApi = {
    async placeOrder(body, key) {
      keys.push(key)
      const n = (body as { n: number }).n
      await new Promise((r) => setTimeout(r, httpMs))
      if (n === 7) return { kind: 'http-error', status: 503, code: 'SERVICE_UNAVAILABLE' } satisfies PlaceOrderResult
      const orderId = `order-${key}`
      setTimeout(() => outcomes.set(orderId, n % 10 === 9 ? { at: performance.now(), kind: 'failed', reason: 'TIMEOUT' } : { at: performance.now(), kind: 'confirmed' }), sagaMs)
      return { kind: 'accepted', orderId }
    },
    setStock: async () => {},
    setPrices: async () => {},
    close: async () => {},
  }
  const ctx: RateRunContext = {
    api,
    outcomes: { get: (id) => outcomes.get(id), size: 0, close: async () => {} },
    successKinds: ['confirmed'],
    busSnapshot: async () => quiet,
    classify: () => undefined,
    orderBody: (n) => ({ n }),
    keyPrefix: 'test',
    log: () => {},
  }
  return { ctx, keys }
}

t.test('one run: the warm-up is not counted, latencies and failures are', async (t) => {
  const { ctx, keys } = fakeContext(20, 60)
  const run = await runRate(ctx, { runLabel: '1', rate: 100, warmupSeconds: 0.1, durationSeconds: 0.3, drainTimeoutSeconds: 5, drainConsumers: true })
  t.equal(keys.length, 40, 'warm-up and measured orders were all sent')
  t.equal(new Set(keys).size, 40, 'each with its own idempotency key')
  t.equal(run.sent, 30, 'the 10 warm-up orders are not counted')
  t.equal(run.accepted, 30, 'order 7 is in the warm-up')
  // A 20 ms timer can fire up to a millisecond early by performance.now() (libuv counts from the
  // loop's cached time, measured 19.94 ms on CI): the lower bounds allow for that.
  t.ok(run.http && run.http.p50 >= 19 && run.http.p50 < 200, `HTTP p50 ${run.http?.p50}`)
  t.ok(run.endToEnd && run.endToEnd.p50 >= 78 && run.endToEnd.p50 < 400, `E2E p50 ${run.endToEnd?.p50}`)
  t.same(run.failures, { http: {}, network: {}, saga: { 'failed:TIMEOUT': 3 }, incomplete: 0 })
  t.equal(run.drain.drained, true)
  t.ok(run.backlogAtStop.ordersInFlight > 0, 'orders were still in flight when the load stopped')
  t.equal(run.perOrder.database, null, 'no database statistics without a reader')
})

t.test('runs with another label use other keys; HTTP errors of the window are counted', async (t) => {
  const { ctx, keys } = fakeContext(5, 5)
  const run = await runRate(ctx, { runLabel: '2', rate: 100, warmupSeconds: 0, durationSeconds: 0.1, drainTimeoutSeconds: 5, drainConsumers: false })
  t.ok(keys.every((k) => k.startsWith('test-2-')))
  t.same(run.failures.http, { '503 SERVICE_UNAVAILABLE': 1 })
  t.equal(run.accepted, 9)
})

t.test('a backlog that never clears is reported as not drained', async (t) => {
  const { ctx } = fakeContext(5, 5)
  // Quiet before the run; five messages stuck in a consumer from then on.
  let readings = 0
  ctx.busSnapshot = async () => (readings++ === 0 ? quiet : { ...quiet, consumerBacklog: 5 })
  const run = await runRate(ctx, { runLabel: '3', rate: 50, warmupSeconds: 0, durationSeconds: 0.1, drainTimeoutSeconds: 0.5, drainConsumers: true })
  t.equal(run.drain.drained, false)
  t.equal(run.backlogAtStop.consumerMessages, 5)
})

t.test('the cost per completed order divides what the counters rose by in the window by the orders completed in it', async (t) => {
  const { ctx } = fakeContext(5, 5)
  // Each reading: 700 more deliveries, 300 more messages, 90 more calls of one statement.
  let reading = 0
  ctx.deliveryCounters = async () => {
    reading++
    return { deliveredByConsumer: { 'ORDERS/order-saga': 700 * reading }, publishedByStream: { ORDERS: 300 * reading } }
  }
  let snapshots = 0
  ctx.statements = {
    snapshot: async () => ({ calls: { order: { '1': 90 * ++snapshots } }, evictions: 0 }),
    queryTexts: async () => new Map([['order/1', 'select 1']]),
  }
  const run = await runRate(ctx, { runLabel: '4', rate: 100, warmupSeconds: 0.1, durationSeconds: 0.3, drainTimeoutSeconds: 5, drainConsumers: false })
  const c = run.perCompletedOrder
  t.ok(c && c.orders > 0, `orders completed in the window: ${c?.orders}`)
  if (!c) return
  t.ok(Math.abs(c.orders - run.completedPerSecond * 0.3) <= 2, `the divisor is the orders completed in the window (${c.orders}, ${run.completedPerSecond * 0.3} by the window's bounds)`)
  t.equal(reading, 2, 'the bus was read at the start and at the end of the window')
  t.equal(c.deliveries?.total, 700 / c.orders)
  t.equal(c.published?.total, 300 / c.orders)
  t.same(c.statements, { total: 90 / c.orders, byDatabase: { order: 90 / c.orders }, top: [{ database: 'order', queryId: '1', query: 'select 1', callsPerOrder: 90 / c.orders }], evicted: 0 })
  t.ok(c.windowSeconds >= 0.25 && c.windowSeconds < 1, `the counters were read a window apart: ${c.windowSeconds} s`)

  const { ctx: unloaded } = fakeContext(5, 5)
  unloaded.statements = 'not measured (pg_stat_statements not loaded)'
  const plain = await runRate(unloaded, { runLabel: '5', rate: 100, warmupSeconds: 0, durationSeconds: 0.1, drainTimeoutSeconds: 5, drainConsumers: false })
  t.equal(plain.perCompletedOrder?.statements, 'not measured (pg_stat_statements not loaded)', 'the run says why it did not count statements')
  t.same([plain.perCompletedOrder?.deliveries, plain.perCompletedOrder?.published], [null, null], 'no bus counters, no figures')
})
