import { randomUUID } from 'node:crypto'
import t from 'tap'
import Type from 'typebox'
import { sql } from 'kysely'
import { loadConfig } from '@orderflow/config'
import { isEventOf, makeEvent, OrderConfirmed, OrderCreated, type CloudEvent } from '@orderflow/contracts'
import { InboxMessage, OutboxMessage, outboxRows, type BatchTx } from '@orderflow/db'
import { provision, type Consumer, type ConsumerSpec } from '@orderflow/messaging'
import { defineService, openServiceContext, serviceProvisionPlan, serviceSettings, startServiceWorkers } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'

type Created = CloudEvent & { readonly type: typeof OrderCreated.type; readonly data: { readonly orderId: string } }

const confirmerSpec: ConsumerSpec = {
  stream: 'ORDERS',
  durable: 'wrktest-confirmer',
  filterSubjects: [OrderCreated.subject],
  ackWaitMs: 10_000,
  maxDeliver: 3,
  backoffMs: [100],
  maxAckPending: 64,
}

/** Confirms every order it is told about: statement one, then statement two with the outbox. */
const batches: string[][] = []
function confirmer(): Consumer<Created, BatchTx> {
  return {
    spec: confirmerSpec,
    accepts: (event): event is Created => isEventOf(OrderCreated, event),
    async handle(batch, tx) {
      batches.push(batch.map((d) => d.event.id))
      const { isNew } = await tx.claim()
      const fresh = batch.filter((d) => isNew(d.event.id))
      const rows = fresh.flatMap((d) =>
        outboxRows([makeEvent(OrderConfirmed, { source: 'orderflow/test', subject: d.event.data.orderId, data: { orderId: d.event.data.orderId } })], {
          traceContext: d.traceContext(),
        }),
      )
      await sql`with ${tx.outbox(rows)} select 1`.execute(tx.db)
    },
  }
}

const svc = defineService({
  name: 'wrktest',
  configSchema: Type.Object(serviceSettings(9999)),
  entities: [InboxMessage, OutboxMessage],
  migrationsPath: new URL('./unused', import.meta.url),
  openapi: { title: 'workers test', description: 'consumers under test' },
  consumers: [{ spec: confirmerSpec, consumer: () => confirmer() }],
})

const namespace = randomNamespace()
const url = await createTestDatabase(t)
const config = loadConfig(svc.configSchema, {
  DATABASE_URL: url,
  NATS_URL: TEST_NATS_URL,
  NATS_NAMESPACE: namespace,
  JWT_SECRETS: TEST_JWT_SECRETS.join(','),
  OUTBOX_POLL_INTERVAL_MS: '50',
  CONSUMER_CONCURRENCY: '1',
  CONSUMER_BATCH_SIZE: '8',
})
const { ctx, close } = await openServiceContext(svc, config, createLogger({ serviceName: 'wrktest', level: 'silent' }))
t.teardown(() => close())
await ctx.orm.schema.create()
deleteStreamsAfter(t, await connectTestNats(t), ...ctx.topology.streams().map((s) => s.name))
await provision(ctx.bus.jsm, serviceProvisionPlan(svc, ctx.topology, 1))

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 20))
  }
  return true
}

void t.test('a consumer binding runs in batches on the service database; its outbox is published right after each commit', async (t) => {
  const orders = Array.from({ length: 20 }, () => {
    const orderId = randomUUID()
    return makeEvent(OrderCreated, {
      source: 'orderflow/test',
      subject: orderId,
      data: { orderId, customerId: 'c-1', email: 'ada@example.com', currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }], totalAmount: 100 },
    })
  })
  // A backlog before the workers start, so batches form.
  await ctx.publisher.publishMany(orders.map((event) => ({ event })))
  const workers = await startServiceWorkers(svc, ctx)
  t.teardown(() => workers.stop())
  const ordersStream = ctx.topology.stream('ORDERS')
  const startedAt = performance.now()
  const confirmedSubject = ctx.topology.subject(OrderConfirmed.subject)
  const published = await until(async () => {
    const info = await ctx.bus.jsm.streams.info(ordersStream, { subjects_filter: confirmedSubject })
    return (info.state.subjects?.[confirmedSubject] ?? 0) === 20
  }, 4_000)
  const took = performance.now() - startedAt
  t.ok(published, `20 confirmations published ${Math.round(took)} ms after the workers started (the relay sweeps only after 5 s)`)
  const marked = await until(async () => {
    const { rows } = await sql<{ sent: number }>`select count(sent_at)::int as sent from outbox`.execute(ctx.db)
    return rows[0]?.sent === 20
  }, 4_000)
  t.ok(marked, 'every row marked sent')
  const claimed = await sql<{ n: number }>`select count(*)::int as n from outbox where attempts > 0`.execute(ctx.db)
  t.same(claimed.rows, [{ n: 0 }], 'by the publisher: the relay claimed none')
  const inbox = await sql<{ consumer: string; n: number }>`select consumer, count(*)::int as n from inbox group by consumer`.execute(ctx.db)
  t.same(inbox.rows, [{ consumer: confirmerSpec.durable, n: 20 }], 'the inbox recorded each event under the durable name')
  t.same(batches.flat().sort(), orders.map((e) => e.id).sort(), 'each order handled once')
  t.ok(batches.every((b) => b.length <= 8), `CONSUMER_BATCH_SIZE bounds the batches (${batches.map((b) => b.length).join(', ')})`)
  t.ok(batches.some((b) => b.length > 1), 'the backlog went in batches')
  const info = await ctx.bus.jsm.consumers.info(ordersStream, confirmerSpec.durable)
  t.equal(info.num_ack_pending + info.num_pending, 0, 'all acked, in the namespace’s stream')
  await workers.stop()
})
