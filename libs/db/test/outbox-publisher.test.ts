import { randomUUID } from 'node:crypto'
import t from 'tap'
import { sql } from 'kysely'
import { Registry } from 'prom-client'
import type { CloudEvent } from '@orderflow/contracts'
import { TEST_PG_ADMIN_URL, uniqueName } from '@orderflow/testing'
import {
  createOrm,
  createOutboxPublisher,
  enqueueEvents,
  InboxMessage,
  OutboxMessage,
  outboxRows,
  runBatchTransaction,
  startOutboxRelay,
  type OutboxRow,
  type PublishBatch,
} from '@orderflow/db'
import { captureLogger, confirmedEvent, eventually, query, recordingDb, setupDatabase, sqlDb } from './fixtures/helpers.js'
import { createTestStream, jetStreamPublisher, messageCount, storedEvents } from './fixtures/jetstream.js'
import { Widget } from './fixtures/widget.entity.js'

const { url, orm } = await setupDatabase(t)
const db = sqlDb(orm)

interface Row {
  id: string
  sent_at: Date | null
  attempts: number
  last_error: string | null
}

async function rows(ids: readonly string[]): Promise<Row[]> {
  return query<Row>(url, 'select id, sent_at, attempts, last_error from outbox where id = any($1::uuid[]) order by seq', [ids])
}

/** Commits events the way a route or a scheduler does (the ORM, `enqueueEvents`); returns their rows. */
async function commitEvents(events: readonly CloudEvent[]): Promise<OutboxRow[]> {
  return orm.em.fork().transactional((em) => enqueueEvents(em, events))
}

async function metric(registry: Registry, name: string): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  const values = (found?.values ?? []) as Array<{ value: number; metricName?: string }>
  return (values.find((v) => v.metricName === `${name}_count`) ?? values[0])?.value ?? NaN
}

void t.test('a batch’s outbox rows are published right after its commit, as their ids, and marked sent', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  const publisher = createOutboxPublisher({ db, publish: jetStreamPublisher(stream), logger: captureLogger().logger, registry })
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
  const written = outboxRows([confirmedEvent(), confirmedEvent(), confirmedEvent()], { traceContext: { traceparent } })
  // No relay runs in this test: only the publisher can send them.
  await runBatchTransaction({ db, consumer: 'publisher-test', eventIds: [randomUUID()], afterCommit: (r) => publisher.publishCommitted(r) }, async (tx) => {
    await tx.claim()
    await sql`with ${tx.outbox(written)} select 1`.execute(tx.db)
  })
  const committedAt = performance.now()
  t.ok(await eventually(async () => (await messageCount(stream)) === 3, 2_000, 2), 'in the stream')
  const took = performance.now() - committedAt
  t.ok(took < 500, `${Math.round(took)} ms after the commit`)
  await publisher.flush()
  const stored = await storedEvents(stream)
  t.same(stored.map((s) => s.msgId), written.map((r) => r.id), 'Nats-Msg-Id is the event id, in order')
  t.same(stored.map((s) => s.event), written.map((r) => r.payload))
  t.ok(stored.every((s) => s.traceparent === traceparent), 'with the trace context captured when they were made')
  const marked = await rows(written.map((r) => r.id))
  t.ok(marked.every((r) => r.sent_at !== null && r.attempts === 0), 'marked sent, no claim spent')
  t.equal(await metric(registry, 'outbox_published_total'), 3)
  t.equal(await metric(registry, 'outbox_publish_latency_seconds'), 3)
  t.equal(await metric(registry, 'outbox_publish_failures_total'), 0)
})

void t.test('a publish that fails leaves the rows unsent, and the relay’s sweep publishes them later', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  const { logger, lines } = captureLogger()
  // No stream captures these subjects: JetStream refuses the publish.
  const nowhere = createOutboxPublisher({ db, publish: jetStreamPublisher({ ...stream, prefix: `${stream.prefix}_nowhere` }), logger, registry })
  const refused = await commitEvents([confirmedEvent(), confirmedEvent()])
  nowhere.publishCommitted(refused)
  // A publish function that rejects outright counts the same; publishCommitted itself never throws.
  const down = createOutboxPublisher({ db, publish: () => Promise.reject(new Error('not connected')), logger, registry })
  const rejected = await commitEvents([confirmedEvent()])
  down.publishCommitted(rejected)
  await Promise.all([nowhere.flush(), down.flush()])
  const ids = [...refused, ...rejected].map((r) => r.id)
  t.same((await rows(ids)).map((r) => [r.sent_at, r.attempts, r.last_error]), Array(3).fill([null, 0, null]), 'left as they were committed')
  t.equal(await metric(registry, 'outbox_publish_failures_total'), 3)
  t.equal(await metric(registry, 'outbox_published_total'), 0)
  t.ok(lines.some((l) => l.msg === 'publishing after commit failed; the sweep retries' && l.failed === 2))
  t.equal(await messageCount(stream), 0)

  const relay = await startOutboxRelay({ url, publish: jetStreamPublisher(stream), logger, pollIntervalMs: 50, sweepAfterMs: 300, registry })
  t.teardown(() => relay.stop())
  t.ok(await eventually(async () => (await rows(ids)).every((r) => r.sent_at !== null), 5_000), 'the sweep sent them')
  t.same((await storedEvents(stream)).map((s) => s.msgId), ids, 'once each')
  const delays = await query<{ seconds: number }>(url, 'select extract(epoch from sent_at - created_at)::float8 as seconds from outbox where id = any($1::uuid[])', [ids])
  t.ok(delays.every((d) => d.seconds >= 0.3), 'not before they were sweepAfterMs old')
})

void t.test('a row published but not marked (the mark failed) is published again by the sweep, and JetStream drops the copy', async (t) => {
  const stream = await createTestStream(t)
  // A role that may read and insert the outbox but not update it: every mark fails.
  const role = uniqueName('of_test_no_update', { lower: true })
  await query(TEST_PG_ADMIN_URL, `create role "${role}" login`)
  t.teardown(() => query(TEST_PG_ADMIN_URL, `drop role if exists "${role}"`))
  await query(url, `grant select, insert on outbox to "${role}"`)
  t.teardown(() => query(url, `revoke all on outbox from "${role}"`))
  const limited = new URL(url)
  limited.username = role
  const limitedOrm = await createOrm({ url: limited.toString(), entities: [Widget, OutboxMessage, InboxMessage], poolSize: 1 })
  t.teardown(() => limitedOrm.close())

  const duplicates: boolean[] = []
  const publish: PublishBatch = async (batch) => {
    const acks = await Promise.all(batch.map((r) => stream.js.publish(`${stream.prefix}.${r.subject}`, JSON.stringify(r.event), { msgID: r.id })))
    duplicates.push(...acks.map((a) => a.duplicate))
    return acks.map(() => ({ ok: true as const }))
  }
  const { logger, lines } = captureLogger()
  const publisher = createOutboxPublisher({ db: sqlDb(limitedOrm), publish, logger, registry: new Registry() })
  const committed = await commitEvents([confirmedEvent(), confirmedEvent()])
  publisher.publishCommitted(committed)
  await publisher.flush()
  t.ok(lines.some((l) => l.msg === 'could not mark published events sent; the sweep publishes them again'))
  t.same(duplicates, [false, false], 'published once')
  const ids = committed.map((r) => r.id)
  t.ok((await rows(ids)).every((r) => r.sent_at === null), 'but not marked')

  const relay = await startOutboxRelay({ url, publish, logger, pollIntervalMs: 50, sweepAfterMs: 200, registry: new Registry() })
  t.teardown(() => relay.stop())
  t.ok(await eventually(async () => (await rows(ids)).every((r) => r.sent_at !== null), 5_000), 'the sweep marked them')
  t.same(duplicates, [false, false, true, true], 'its copies were recognised as duplicates')
  t.same((await storedEvents(stream)).map((s) => s.msgId), ids, 'the stream holds each event once')
})

void t.test('marks are coalesced: many commits published at once are marked in a few statements', async (t) => {
  const stream = await createTestStream(t)
  const transactions = await Promise.all(Array.from({ length: 50 }, () => commitEvents([confirmedEvent()])))
  const ids = transactions.flat().map((r) => r.id)
  const statsBefore = await markStatements()
  const recorded = recordingDb(db)
  const publisher = createOutboxPublisher({ db: recorded.db, publish: jetStreamPublisher(stream), logger: captureLogger().logger, registry: new Registry() })
  // 50 transactions committing in a busy moment, each handing its row over.
  for (const rows of transactions) publisher.publishCommitted(rows)
  await publisher.flush()
  t.ok((await rows(ids)).every((r) => r.sent_at !== null), 'every row marked sent')
  t.equal(await messageCount(stream), 50)
  const marks = recorded.statements.filter((s) => s.startsWith('update outbox set sent_at'))
  t.equal(marks.length, recorded.statements.length, 'marking is all the publisher runs')
  t.ok(marks.length >= 1 && marks.length <= 10, `50 rows marked in ${marks.length} statement(s), not 50`)
  const statsAfter = await markStatements()
  if (statsBefore === undefined || statsAfter === undefined) t.comment('pg_stat_statements is not loaded: the server-side count is skipped')
  else t.equal(statsAfter - statsBefore, marks.length, 'the server ran as many (pg_stat_statements)')
})

/** Calls of the mark statement the server counted in this database, when pg_stat_statements is loaded. */
async function markStatements(): Promise<number | undefined> {
  try {
    await query(url, 'create extension if not exists pg_stat_statements')
    const [row] = await query<{ calls: number }>(
      url,
      `select coalesce(sum(calls), 0)::int as calls from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and query like 'update outbox set sent_at = now()%'`,
    )
    return row?.calls
  } catch {
    return undefined
  }
}
