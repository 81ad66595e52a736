import t from 'tap'
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import type { SqlDb } from '@orderflow/db'
import { handleBatch } from '@orderflow/testing/service'
import { sweepDueSagas } from '../src/saga/saga-deadlines.js'
import { requestCancel } from '../src/use-cases/request-cancel.js'
import { orderTestbed, replies, sagaHarness, timingsOf } from './testbed.js'

// The lean pipeline's promise, counted: every statement sent through the service's Kysely is
// seen by a plugin on a copy of it (BEGIN and COMMIT go through the driver, not the plugin).
const tb = await orderTestbed(t)
const h = sagaHarness(tb)
const timings = timingsOf(tb)

/** Records the SQL of every statement run through `db`. */
function countingDb(db: SqlDb): { db: SqlDb; statements: string[] } {
  const statements: string[] = []
  const executor = db.getExecutor()
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      statements.push(executor.compileQuery(args.node, args.queryId).sql)
      return args.node
    },
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  }
  return { db: db.withPlugin(plugin), statements }
}

/** Handles a batch through a counting copy of the service's database; returns the SQL it ran. */
async function statementsOf(consumer: Parameters<typeof handleBatch>[1], events: Parameters<typeof handleBatch>[2]): Promise<string[]> {
  const counting = countingDb(tb.ctx.db)
  await handleBatch({ db: counting.db, outbox: tb.ctx.outbox }, consumer, events)
  return counting.statements
}

const placeMany = async (n: number) => Promise.all(Array.from({ length: n }, () => h.place()))

t.test('a batch of N replies runs two statements, whatever N, with the same text', async (t) => {
  const orders = await placeMany(9)
  const one = await statementsOf(h.consumers.inventory, [replies.reserved(orders[0]!)])
  const eight = await statementsOf(h.consumers.inventory, orders.slice(1).map(replies.reserved))
  t.equal(one.length, 2, 'claim (inbox + lock), then write')
  t.equal(eight.length, 2, 'the same for eight orders')
  t.same(eight, one, 'the statements do not depend on the batch size')
  t.match(one[0], /insert into inbox/)
  t.match(one[0], /for update of o, s/)
  t.match(one[1], /insert into outbox/)
  t.match(one[1], /update sagas/)
  for (const id of orders) t.equal((await h.saga(id))?.state, 'AUTHORIZING')
})

t.test('two events per order and a repeated id: still two statements', async (t) => {
  const orders = await placeMany(3)
  await h.handle(h.consumers.inventory, orders.map(replies.reserved))
  const events = orders.flatMap((id) => [replies.authorized(id), replies.captured(id)])
  const statements = await statementsOf(h.consumers.payments, [...events, events[0]!])
  t.equal(statements.length, 2)
  for (const id of orders) t.match(await h.saga(id), { state: 'CONFIRMED', progress: { capturedAt: String } })
})

t.test('a batch with nothing new runs statement one only', async (t) => {
  const [id] = await placeMany(1)
  const reserved = replies.reserved(id!)
  await h.handle(h.consumers.inventory, [reserved])
  t.equal((await statementsOf(h.consumers.inventory, [reserved])).length, 1)
})

t.test('the deadline sweep and the cancel route are two statements per transaction too', async (t) => {
  const orders = await placeMany(4)
  await tb.orm.em.fork().execute(`update sagas set deadline_at = now() - interval '1 second' where order_id in (?, ?, ?)`, orders.slice(0, 3))
  const sweep = countingDb(tb.ctx.db)
  const deps = { db: sweep.db, outbox: tb.ctx.outbox, logger: tb.ctx.logger, metrics: { record: () => undefined, stateExits: () => undefined }, timings, batchSize: 100 }
  t.equal(await sweepDueSagas(deps), 3)
  t.equal(sweep.statements.length, 2, 'claim the due sagas, write them')
  for (const id of orders.slice(0, 3)) t.match(await h.saga(id), { state: 'RESERVING', version: 2 }, 'asked inventory again')

  const cancel = countingDb(tb.ctx.db)
  const result = await requestCancel({ db: cancel.db, outbox: tb.ctx.outbox, metrics: { record: () => undefined, stateExits: () => undefined }, timings }, orders[3]!, 'no longer needed')
  t.match(result, { outcome: 'requested', status: 'PENDING' })
  t.equal(cancel.statements.length, 2, 'lock the order with its saga, write')
})
