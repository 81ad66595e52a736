import t from 'tap'
import { countInFlight } from '../src/saga/count-in-flight.js'
import { sweepDueSagas, type SweepDeps } from '../src/saga/saga-deadlines.js'
import { HumanMessages } from '../src/saga/saga-messages.js'
import { sagaMetrics } from '../src/saga/saga.metrics.js'
import { lockSagas } from '../src/saga/saga.sql.js'
import { orderTestbed, replies, sagaHarness, timingsOf } from './testbed.js'

// The deadline sweep, one batch at a time, on the real database: a deadline is passed by moving
// it into the past with SQL rather than by waiting for it.
const tb = await orderTestbed(t)
const h = sagaHarness(tb)
const deps = (batchSize = 100): SweepDeps => ({
  db: tb.ctx.db,
  outbox: tb.ctx.outbox,
  logger: tb.ctx.logger,
  metrics: sagaMetrics(tb.ctx.registry, () => countInFlight(tb.ctx.db)),
  timings: timingsOf(tb),
  batchSize,
})

const overdue = (ids: readonly string[]) =>
  tb.orm.em.fork().execute(`update sagas set deadline_at = now() - interval '1 second' where order_id in (${ids.map(() => '?').join(', ')})`, [...ids])

/** Sweeps until nothing is due; returns the sagas acted on. */
async function sweepAll(d = deps(), now?: Date): Promise<number> {
  let total = 0
  for (let due = await sweepDueSagas(d, now); due > 0; due = await sweepDueSagas(d, now)) total += due
  return total
}

/** A sweep's clock once a step that starts now has waited the give-up time. */
const afterGivingUp = () => new Date(Date.now() + tb.config.SAGA_GIVE_UP_MS)

t.test('RESERVING past its deadline asks inventory again, and stays RESERVING', async (t) => {
  const id = await h.place()
  const waiting = await h.place()
  await overdue([id])
  t.equal(await sweepAll(), 1, 'only the overdue saga')
  t.equal((await h.saga(waiting))?.state, 'RESERVING')
  const saga = await h.saga(id)
  t.match(saga, { state: 'RESERVING', version: 2 })
  t.ok(saga?.deadlineAt && saga.deadlineAt.getTime() > Date.now(), 'a new deadline')
  t.same(await h.sent(id), ['order.created', 'inventory.reserve', 'inventory.reserve'], 'ReserveStock again')
  const [first, again] = (await h.outbox(id)).slice(1)
  t.same(again?.data, first?.data, 'the same command, as a new event')
  t.same(await h.timeline(id), ['CREATED'], 'nothing for the customer to see')

  await h.deliver(replies.reserved(id))
  t.equal((await h.saga(id))?.state, 'AUTHORIZING', 'the answer, when it comes, moves it on')
})

t.test("what a deadline re-sends continues its order's trace", async (t) => {
  const id = await h.place()
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  await tb.orm.em.fork().execute('update sagas set trace_parent = ? where order_id = ?', [traceparent, id])
  await overdue([id])
  t.equal(await sweepAll(), 1)
  const rows = await tb.orm.em.fork().execute<{ type: string; headers: Record<string, string> }[]>(
    `select type, headers from outbox where payload->>'subject' = ? order by seq`,
    [id],
  )
  const resent = rows.filter((r) => r.type === 'orderflow.inventory.reserve.v1')
  t.equal(resent.length, 2, 'intake sent it, the deadline sent it again')
  t.equal(resent[1]?.headers.traceparent, traceparent, "the re-sent command carries the order's trace")
})

t.test('AUTHORIZING past its deadline asks payment again, with the kept token', async (t) => {
  const id = await h.place()
  await h.deliver(replies.reserved(id))
  await overdue([id])
  await sweepAll()
  t.same((await h.sent(id)).slice(-2), ['payment.authorize', 'payment.authorize'])
  t.match((await h.outbox(id)).at(-1)?.data, { orderId: id, token: 'tok_visa' })
  await h.deliver(replies.authorized(id))
  t.match(await h.saga(id), { state: 'CONFIRMED', paymentToken: null })
})

t.test('RESERVING past its give-up time: COMPENSATING with ReleaseStock, then FAILED TIMEOUT once released', async (t) => {
  const id = await h.place()
  const waiting = await h.place()
  await overdue([id])
  t.equal(await sweepAll(deps(), afterGivingUp()), 1, 'only the overdue saga')
  t.equal((await h.saga(waiting))?.state, 'RESERVING')

  const saga = await h.saga(id)
  t.match(saga, { state: 'COMPENSATING', version: 2, progress: { failureReason: 'TIMEOUT', releaseRequestedAt: String } })
  t.ok(saga?.deadlineAt && saga.deadlineAt.getTime() > Date.now(), 'a new deadline, for the release')
  t.same(await h.sent(id), ['order.created', 'inventory.reserve', 'inventory.release'], 'no payment was asked for, so none is voided')
  t.match((await h.outbox(id))[2]?.data, { orderId: id, reason: 'TIMEOUT' })
  t.match((await h.order(id)).timeline.at(-1), { type: 'COMPENSATING', detail: /reserving stock/ })

  await h.deliver(replies.released(id))
  t.match(await h.saga(id), { state: 'FAILED', deadlineAt: null })
  t.match(await h.order(id), { status: 'FAILED', failure: { reason: 'TIMEOUT', message: HumanMessages.timeout } })
  t.same(await h.sent(id), ['order.created', 'inventory.reserve', 'inventory.release', 'order.failed'])
  // In time order the sweep's step (stamped at its clock, the give-up time ahead) comes last.
  t.same(await h.timeline(id), ['CREATED', 'STOCK_RELEASED', 'FAILED', 'COMPENSATING'])
})

t.test('AUTHORIZING past its give-up time releases and voids', async (t) => {
  const id = await h.place()
  await h.deliver(replies.reserved(id))
  await overdue([id])
  await sweepAll(deps(), afterGivingUp())
  t.match(await h.saga(id), { state: 'COMPENSATING', progress: { releaseRequestedAt: String, voidRequestedAt: String } })
  t.same((await h.sent(id)).slice(3), ['inventory.release', 'payment.void'])
  await h.deliver(replies.voided(id), replies.released(id))
  t.match(await h.order(id), { status: 'FAILED', failure: { reason: 'TIMEOUT' } })
})

t.test('later deadlines re-send what is still unanswered, and nothing else', async (t) => {
  const compensating = await h.place()
  await overdue([compensating])
  await sweepAll(deps(), afterGivingUp())
  await overdue([compensating])
  await sweepAll()
  t.same(await h.sent(compensating), ['order.created', 'inventory.reserve', 'inventory.release', 'inventory.release'], 'the release again')
  t.equal((await h.saga(compensating))?.state, 'COMPENSATING')

  const confirmed = await h.place()
  await h.deliver(replies.reserved(confirmed), replies.authorized(confirmed), replies.committed(confirmed))
  await overdue([confirmed])
  await sweepAll()
  t.same((await h.sent(confirmed)).slice(-1), ['payment.capture'], 'the capture again; the commit was answered')
  t.match(await h.saga(confirmed), { state: 'CONFIRMED', deadlineAt: Date })
  t.equal((await h.order(confirmed)).status, 'CONFIRMED')
})

t.test('two sweeps running at once act on each overdue saga once', async (t) => {
  await sweepAll()
  const ids = await Promise.all(Array.from({ length: 12 }, () => h.place()))
  await overdue(ids)
  // Two replicas, small batches: each loops while its batches come back full.
  const loop = async () => {
    let acted = 0
    for (let due = await sweepDueSagas(deps(3)); ; due = await sweepDueSagas(deps(3))) {
      acted += due
      if (due < 3) return acted
    }
  }
  const [a, b] = await Promise.all([loop(), loop()])
  t.equal(a + b, 12, `every overdue saga acted on once between them (${a} + ${b})`)
  for (const id of ids) {
    t.match(await h.saga(id), { state: 'RESERVING', version: 2 })
    t.same((await h.sent(id)).filter((m) => m === 'inventory.reserve'), ['inventory.reserve', 'inventory.reserve'], 'asked again once')
  }
})

t.test('a sweep passes sagas another transaction holds, without waiting, and finds them later', async (t) => {
  await sweepAll()
  const ids = await Promise.all(Array.from({ length: 6 }, () => h.place()))
  await overdue(ids)
  const held = ids.slice(0, 3)
  let release: () => void = () => undefined
  const holding = new Promise<void>((r) => (release = r))
  let locked: () => void = () => undefined
  const isLocked = new Promise<void>((r) => (locked = r))
  // A consumer's batch on three of them, still open.
  const batch = tb.ctx.db.transaction().execute(async (tx) => {
    await lockSagas(held).execute(tx)
    locked()
    await holding
  })
  await isLocked
  const started = Date.now()
  t.equal(await sweepDueSagas(deps()), 3, 'the three that are free')
  t.ok(Date.now() - started < 2_000, 'did not wait for the locks')
  for (const id of held) t.equal((await h.saga(id))?.version, 1, 'not swept while held')
  release()
  await batch
  t.equal(await sweepDueSagas(deps()), 3, 'the other three, once free')
  for (const id of ids) t.match(await h.saga(id), { state: 'RESERVING', version: 2 })
})
