import { randomUUID } from 'node:crypto'
import t from 'tap'
import Type from 'typebox'
import { sql } from 'kysely'
import { loadConfig } from '@orderflow/config'
import { makeEvent, OrderConfirmed, type CloudEvent } from '@orderflow/contracts'
import { InboxMessage, OutboxMessage, outboxRows, type BatchTx } from '@orderflow/db'
import { provision, type Consumer, type Delivery } from '@orderflow/messaging'
import { defineService, openServiceContext, serviceSettings } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'
import { deliveriesOf, eventually, handleBatch } from '@orderflow/testing/service'

const svc = defineService({
  name: 'tsttest',
  configSchema: Type.Object(serviceSettings(9999)),
  entities: [InboxMessage, OutboxMessage],
  migrationsPath: new URL('./unused', import.meta.url),
  openapi: { title: 'testing helpers', description: 'handleBatch under test' },
})
const url = await createTestDatabase(t)
const config = loadConfig(svc.configSchema, { DATABASE_URL: url, NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: randomNamespace(), JWT_SECRETS: TEST_JWT_SECRETS.join(',') })
const { ctx, close } = await openServiceContext(svc, config, createLogger({ serviceName: 'tsttest', level: 'silent' }))
t.teardown(() => close())
await ctx.orm.schema.create()
deleteStreamsAfter(t, await connectTestNats(t), ...ctx.topology.streams().map((s) => s.name))
await provision(ctx.bus.jsm, { streams: ctx.topology.streams(1) })

const confirmed = (orderId: string = randomUUID()) => makeEvent(OrderConfirmed, { source: 'orderflow/test', subject: orderId, data: { orderId } })

/** Re-announces each fresh event under a new id; what it saw is kept for the test. */
function echo(seen: Array<{ batch: readonly Delivery[]; fresh: string[] }>, fail?: Error): Consumer<CloudEvent, BatchTx> {
  return {
    spec: { stream: 'ORDERS', durable: 'tsttest-echo', filterSubjects: [] },
    accepts: (e): e is CloudEvent => e.type === OrderConfirmed.type,
    async handle(batch, tx) {
      const { isNew } = await tx.claim()
      const fresh = batch.filter((d) => isNew(d.event.id))
      seen.push({ batch, fresh: fresh.map((d) => d.event.id) })
      const rows = outboxRows(fresh.map((d) => confirmed(d.event.subject)), { traceContext: fresh[0]?.traceContext() ?? {} })
      await sql`with ${tx.outbox(rows)} select 1`.execute(tx.db)
      if (fail) throw fail
    },
  }
}

const outboxCount = async () => (await sql<{ sent: number; all: number }>`select count(sent_at)::int as sent, count(*)::int as "all" from outbox`.execute(ctx.db)).rows[0]

void t.test('deliveriesOf gives the deliveries the runner would', async (t) => {
  const events = [confirmed(), confirmed()]
  const deliveries = deliveriesOf(events, 3)
  t.same(deliveries.map((d) => ({ event: d.event, subject: d.subject, streamSeq: d.streamSeq, deliveryCount: d.deliveryCount, trace: d.traceContext() })), [
    { event: events[0], subject: 'test', streamSeq: 1, deliveryCount: 3, trace: {} },
    { event: events[1], subject: 'test', streamSeq: 2, deliveryCount: 3, trace: {} },
  ])
})

void t.test('handleBatch runs one batch in the service’s transaction: inbox, effects and outbox commit together, published after', async (t) => {
  const seen: Array<{ batch: readonly Delivery[]; fresh: string[] }> = []
  const [a, b] = [confirmed(), confirmed()]
  await handleBatch(ctx, echo(seen), [a, b, a])
  t.same(seen.map((s) => s.batch.map((d) => d.event.id)), [[a.id, b.id]], 'one call, the repeated id handed over once, as the runner does')
  t.same(seen[0]?.fresh, [a.id, b.id])
  const inbox = await sql<{ event_id: string }>`select event_id from inbox where consumer = 'tsttest-echo' order by event_id`.execute(ctx.db)
  t.same(inbox.rows.map((r) => r.event_id), [a.id, b.id].sort())
  t.same(await eventually(async () => ((await outboxCount())?.sent === 2 ? await outboxCount() : undefined), 'the outbox published'), { sent: 2, all: 2 })
  const stream = await ctx.bus.jsm.streams.info(ctx.topology.stream('ORDERS'))
  t.equal(stream.state.messages, 2, 'published to the namespace’s stream by the publisher, not a relay (none runs)')

  await handleBatch(ctx, echo(seen), [a, b])
  t.same(seen[1]?.fresh, [], 'handled again: the inbox knows both')
})

void t.test('handleBatch rejects with what the consumer threw, and keeps nothing', async (t) => {
  const seen: Array<{ batch: readonly Delivery[]; fresh: string[] }> = []
  const before = await outboxCount()
  const failure = new Error('refused')
  const event = confirmed()
  const err = await t.rejects(handleBatch(ctx, echo(seen, failure), [event]))
  t.equal(err, failure)
  t.same(seen[0]?.fresh, [event.id], 'it ran')
  t.same(await outboxCount(), before, 'no outbox row')
  const inbox = await sql`select 1 from inbox where event_id = ${event.id}`.execute(ctx.db)
  t.same(inbox.rows, [], 'no inbox row')
})
