import { randomUUID } from 'node:crypto'
import t from 'tap'
import { OptimisticLockError } from '@mikro-orm/core'
import { createOrm, processOnce, type Orm } from '@orderflow/db'
import { createLogger } from '@orderflow/telemetry'
import { retryConflicts } from '../src/consumers/retry-conflicts.js'
import { orchestratorEntities } from '../src/entities/entities.js'
import { Saga } from '../src/entities/saga.entity.js'
import { applyInput, advanceSaga } from '../src/use-cases/apply-input.js'
import { expireDueSagas } from '../src/use-cases/expire-deadlines.js'
import { requestCancel } from '../src/use-cases/request-cancel.js'
import { startOrderSaga } from '../src/use-cases/start-saga.js'
import { migratedDatabase, orderData } from './testbed.js'

// The saga's persistence rules against the real database, without NATS.
const url = await migratedDatabase(t)
const orm: Orm = await createOrm({ url, entities: orchestratorEntities, logger: createLogger({ serviceName: 't', level: 'silent' }) })
t.teardown(() => orm.close())
const clock = () => ({ now: new Date(), stepTimeoutMs: 10_000 })

const order = orderData

async function confirmedSaga(): Promise<string> {
  const { orderId } = order()
  await orm.em.fork().transactional((em) => startOrderSaga(em, order(orderId), clock()))
  await orm.em.fork().transactional((em) => advanceSaga(em, orderId, { kind: 'reserved' }, clock()))
  await orm.em.fork().transactional((em) => advanceSaga(em, orderId, { kind: 'authorized' }, clock()))
  return orderId
}

t.test('two moves of one saga from the same version: the second fails its version check', async (t) => {
  const orderId = await confirmedSaga()
  const a = orm.em.fork()
  const b = orm.em.fork()
  const sagaA = await a.findOneOrFail(Saga, { orderId })
  const sagaB = await b.findOneOrFail(Saga, { orderId })
  applyInput(a, sagaA, { kind: 'committed' }, clock())
  applyInput(b, sagaB, { kind: 'captured' }, clock())
  await a.flush()
  await t.rejects(b.flush(), OptimisticLockError)
  const saga = await orm.em.fork().findOneOrFail(Saga, { orderId })
  t.ok(saga.committedAt)
  t.equal(saga.capturedAt, null, 'the loser changed nothing')
})

t.test('concurrent events on one saga all apply: the loser of a race retries on the new version', async (t) => {
  const orderId = await confirmedSaga()
  const before = (await orm.em.fork().findOneOrFail(Saga, { orderId })).version
  const handle = (kind: 'committed' | 'captured' | 'shipped') =>
    retryConflicts(() => processOnce(orm, { consumer: `test-${kind}`, eventId: randomUUID() }, (em) => advanceSaga(em, orderId, { kind }, clock())))
  await Promise.all([handle('committed'), handle('captured'), handle('shipped')])
  const saga = await orm.em.fork().findOneOrFail(Saga, { orderId })
  t.match(saga, { state: 'SHIPPED', deadlineAt: null })
  t.ok(saga.committedAt && saga.capturedAt && saga.shippedAt)
  t.equal(saga.version, before + 3, 'one version per transition')
})

t.test('deadline scans running at once take different sagas (SKIP LOCKED)', async (t) => {
  const ids: string[] = []
  for (let i = 0; i < 6; i++) {
    const { orderId } = order()
    await orm.em.fork().transactional((em) => startOrderSaga(em, order(orderId), clock()))
    ids.push(orderId)
  }
  await orm.em.fork().execute(`update sagas set deadline_at = now() - interval '1 second' where order_id in (${ids.map(() => '?').join(',')})`, ids)
  let release: () => void = () => undefined
  const held = new Promise<void>((r) => (release = r))
  let claimedFirst = 0
  const first = orm.em.fork().transactional(async (em) => {
    claimedFirst = (await expireDueSagas(em, 3, clock())).length
    await held // keep the three rows locked while the second scan runs
  })
  await new Promise((r) => setTimeout(r, 200))
  const second = await orm.em.fork().transactional((em) => expireDueSagas(em, 100, clock()))
  release()
  await first
  t.equal(claimedFirst, 3)
  t.equal(second.filter((r) => r.kind === 'applied' && ids.includes(r.orderId)).length, 3, 'the other three')
  const rows = await orm.em.fork().find(Saga, { orderId: { $in: ids } })
  t.same(rows.map((s) => [s.state, s.version]), ids.map(() => ['COMPENSATING', 2]), 'each handled exactly once')
})

t.test('a cancel racing the start of its saga is never lost', async (t) => {
  for (let i = 0; i < 5; i++) {
    const { orderId } = order()
    await Promise.all([
      retryConflicts(() => processOnce(orm, { consumer: 'test-created', eventId: randomUUID() }, (em) => startOrderSaga(em, order(orderId), clock()))),
      retryConflicts(() => processOnce(orm, { consumer: 'test-cancel', eventId: randomUUID() }, (em) => requestCancel(em, { orderId, requestedBy: 'ada' }, clock()))),
    ])
    const saga = await orm.em.fork().findOneOrFail(Saga, { orderId })
    t.ok(saga.state === 'CANCELLED' || saga.state === 'COMPENSATING', `cancelled or being cancelled (${saga.state})`)
    t.ok(saga.cancelRequestedAt)
  }
  const [left] = await orm.em.fork().execute<{ n: string }[]>('select count(*) as n from early_cancels')
  t.equal(Number(left?.n), 0)
})

t.test('a second order.created for a started saga changes nothing', async (t) => {
  const { orderId } = order()
  await orm.em.fork().transactional((em) => startOrderSaga(em, order(orderId), clock()))
  const again = await orm.em.fork().transactional((em) => startOrderSaga(em, order(orderId), clock()))
  t.same(again, { kind: 'ignored', state: 'RESERVING' })
  const [outbox] = await orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from outbox where payload->>'subject' = ?`, [orderId])
  t.equal(Number(outbox?.n), 1, 'one ReserveStock')
})

t.test('a second early cancel keeps the first; an input for an unknown saga is reported', async (t) => {
  const orderId = randomUUID()
  await orm.em.fork().transactional((em) => requestCancel(em, { orderId, requestedBy: 'ada', reason: 'first' }, clock()))
  await orm.em.fork().transactional((em) => requestCancel(em, { orderId, requestedBy: 'ada', reason: 'second' }, clock()))
  const [row] = await orm.em.fork().execute<{ reason: string }[]>('select reason from early_cancels where order_id = ?', [orderId])
  t.equal(row?.reason, 'first')
  t.same(await orm.em.fork().transactional((em) => advanceSaga(em, randomUUID(), { kind: 'reserved' }, clock())), { kind: 'unknown-saga' })
})

t.test('retryConflicts gives up after a few attempts and passes other errors through at once', async (t) => {
  let calls = 0
  await t.rejects(
    retryConflicts(async () => {
      calls++
      throw new OptimisticLockError('conflict')
    }),
    OptimisticLockError,
  )
  t.equal(calls, 4)
  calls = 0
  await t.rejects(
    retryConflicts(async () => {
      calls++
      throw new Error('boom')
    }),
    /boom/,
  )
  t.equal(calls, 1)
})
