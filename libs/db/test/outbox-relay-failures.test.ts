import t from 'tap'
import { Registry } from 'prom-client'
import { createTestDatabase, TEST_PG_ADMIN_URL, uniqueName } from '@orderflow/testing'
import { enqueueEvents, OutboxRelayError, startOutboxRelay, type PublishBatch } from '@orderflow/db'
import type { CloudEvent } from '@orderflow/contracts'
import { captureLogger, confirmedEvent, eventually, query, setupDatabase } from './fixtures/helpers.js'
import { createTestStream, jetStreamPublisher, storedEvents } from './fixtures/jetstream.js'

const { url, orm } = await setupDatabase(t)

async function enqueue(n: number): Promise<CloudEvent[]> {
  const events = Array.from({ length: n }, () => confirmedEvent())
  await orm.em.fork().transactional((em) => enqueueEvents(em, events))
  return events
}

interface Row {
  id: string
  sent_at: Date | null
  attempts: number
  last_error: string | null
}

async function rows(events: readonly CloudEvent[]): Promise<Row[]> {
  return query<Row>(url, 'select id, sent_at, attempts, last_error from outbox where id = any($1::uuid[]) order by seq', [events.map((e) => e.id)])
}

async function allSent(events: readonly CloudEvent[]): Promise<boolean> {
  return (await rows(events)).every((r) => r.sent_at !== null)
}

void t.test('a relay that publishes and fails before marking sends again; the duplicate window drops the copy', async (t) => {
  const stream = await createTestStream(t)
  const events = await enqueue(4)
  const duplicates: boolean[][] = []
  let crashes = 1
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger: captureLogger().logger,
    pollIntervalMs: 20,
    retryDelayMs: 50,
    registry: new Registry(),
    publish: async (batch) => {
      const acks = await Promise.all(
        batch.map((r) => stream.js.publish(`${stream.prefix}.${r.subject}`, JSON.stringify(r.event), { msgID: r.id })),
      )
      duplicates.push(acks.map((a) => a.duplicate))
      if (crashes-- > 0) throw new Error('connection reset after publishing')
      return acks.map(() => ({ ok: true as const }))
    },
  })
  t.teardown(() => relay.stop())
  t.ok(await eventually(() => allSent(events)))
  t.same(duplicates, [Array(4).fill(false), Array(4).fill(true)], 'published twice; JetStream took the second copy for a duplicate')
  t.same((await rows(events)).map((r) => r.attempts), [2, 2, 2, 2])
  t.same((await rows(events)).map((r) => r.last_error), Array(4).fill('Error: connection reset after publishing'), 'the failure stays on record')
  t.same((await storedEvents(stream)).map((s) => s.msgId), events.map((e) => e.id), 'the stream holds each event once')
})

void t.test('failed publishes are recorded and retried with backoff until they succeed', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  const { logger, lines } = captureLogger()
  const events = await enqueue(3)
  const failing = new Set([events[1]?.id])
  const publish = jetStreamPublisher(stream)
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger,
    pollIntervalMs: 20,
    retryDelayMs: 30,
    maxRetryDelayMs: 60,
    registry,
    publish: async (batch) => {
      const ok = batch.filter((r) => !failing.has(r.id))
      const outcomes = await publish(ok)
      return batch.map((r) => (failing.has(r.id) ? { ok: false as const, error: new Error('nats: timeout') } : (outcomes[ok.indexOf(r)] ?? { ok: false, error: 'lost' })))
    },
  })
  t.teardown(() => relay.stop())

  t.ok(await eventually(async () => ((await rows(events))[1]?.attempts ?? 0) >= 4), 'the failing event is retried')
  const [first, second, third] = await rows(events)
  t.ok(first?.sent_at && third?.sent_at, 'the others went out')
  t.equal(second?.sent_at, null)
  t.equal(second?.last_error, 'Error: nats: timeout')
  t.ok(lines.some((l) => l.msg === 'outbox events failed to publish; they will be retried' && l.error === 'Error: nats: timeout'))

  failing.clear()
  t.ok(await eventually(() => allSent(events)), 'it goes out once the broker accepts it')
  t.same((await storedEvents(stream)).map((s) => s.msgId).sort(), events.map((e) => e.id).sort())
  const failures = (await registry.getSingleMetric('outbox_publish_failures_total')?.get())?.values[0]?.value ?? 0
  t.ok(failures >= 3, `failures are counted (${failures})`)
})

void t.test("a relay's lines name its component once, whether or not the caller's logger did", async (t) => {
  for (const named of [false, true]) {
    const { logger, raw } = captureLogger()
    const events = await enqueue(1)
    const relay = await startOutboxRelay({
      url,
      sweepAfterMs: 0,
      // What the runtime passes: a child that names the relay already.
      logger: named ? logger.child({ component: 'outbox-relay' }) : logger,
      pollIntervalMs: 20,
      retryDelayMs: 60_000,
      registry: new Registry(),
      publish: (batch) => Promise.resolve(batch.map(() => ({ ok: false as const, error: new Error('nats: timeout') }))),
    })
    t.ok(await eventually(() => raw.some((l) => l.includes('outbox events failed to publish'))), 'a failure is logged')
    await relay.stop()
    await query(url, 'delete from outbox where id = $1', [events[0]?.id])
    const line = raw.find((l) => l.includes('outbox events failed to publish')) ?? ''
    t.equal(line.match(/"component":/g)?.length, 1, `"component" written once (${named ? 'named by the caller' : 'named by the relay'}): ${line}`)
    t.match(JSON.parse(line), { component: 'outbox-relay', level: 40 })
  }
})

void t.test('the retry delay doubles with every attempt, up to its maximum', async (t) => {
  const events = await enqueue(3)
  // As if the second had failed once before and the third five times.
  await query(url, 'update outbox set attempts = 1 where id = $1', [events[1]?.id])
  await query(url, 'update outbox set attempts = 5 where id = $1', [events[2]?.id])
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger: captureLogger().logger,
    retryDelayMs: 1_000,
    maxRetryDelayMs: 5_000,
    registry: new Registry(),
    publish: (batch) => Promise.resolve(batch.map(() => ({ ok: false as const, error: new Error('down') }))),
  })
  t.ok(await eventually(async () => (await rows(events)).every((r) => r.last_error !== null)))
  await relay.stop()
  const delays = await query<{ seconds: number }>(
    url,
    'select extract(epoch from claimed_until - now())::float8 as seconds from outbox where id = any($1::uuid[]) order by seq',
    [events.map((e) => e.id)],
  )
  const [first, second, third] = delays.map((d) => d.seconds)
  t.ok(first !== undefined && first > 0.5 && first <= 1, `first retry after 1 s (${first})`)
  t.ok(second !== undefined && second > 1.5 && second <= 2, `second after 2 s (${second})`)
  t.ok(third !== undefined && third > 4.5 && third <= 5, `capped at 5 s (${third})`)
  await query(url, 'delete from outbox where id = any($1::uuid[])', [events.map((e) => e.id)])
})

void t.test('a publish that rejects, or reports too few outcomes, fails the unreported events', async (t) => {
  const { logger, lines } = captureLogger()
  let mode: 'reject' | 'short' | 'ok' = 'reject'
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger,
    pollIntervalMs: 20,
    retryDelayMs: 30,
    maxRetryDelayMs: 30,
    registry: new Registry(),
    publish: (batch) => {
      if (mode === 'reject') return Promise.reject(new Error('not connected'))
      if (mode === 'short') return Promise.resolve(batch.slice(1).map(() => ({ ok: true as const })))
      return Promise.resolve(batch.map(() => ({ ok: true as const })))
    },
  })
  t.teardown(() => relay.stop())
  const events = await enqueue(2)
  t.ok(await eventually(async () => (await rows(events)).every((r) => r.last_error === 'Error: not connected')))
  mode = 'short'
  t.ok(await eventually(async () => (await rows(events))[0]?.sent_at !== null), 'the first outcome reported is taken as the first event’s')
  t.ok(lines.some((l) => l.msg === 'publish reported a wrong number of outcomes; the unreported are retried'))
  t.equal((await rows(events))[1]?.sent_at, null, 'the unreported one is not marked')
  t.equal((await rows(events))[1]?.last_error, 'no outcome reported')
  mode = 'ok'
  t.ok(await eventually(() => allSent(events)))
})

void t.test('database trouble is logged and the relay carries on when it passes', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  const { logger, lines } = captureLogger()
  const relay = await startOutboxRelay({ url, sweepAfterMs: 0, logger, publish: jetStreamPublisher(stream), pollIntervalMs: 20, purgeIntervalMs: 20, registry })
  t.teardown(() => relay.stop())
  await query(url, 'alter table outbox rename to outbox_away')
  t.ok(await eventually(() => lines.some((l) => l.msg === 'outbox relay batch failed; retrying after the poll interval')))
  t.ok(await eventually(() => lines.some((l) => l.msg === 'could not purge sent outbox events')))
  const scrape = await registry.metrics()
  t.match(scrape, /outbox_pending/, 'a scrape still works')
  t.ok(lines.some((l) => l.msg === 'could not count pending outbox events'))

  await query(url, 'alter table outbox_away rename to outbox')
  const events = await enqueue(2)
  t.ok(await eventually(() => allSent(events)), 'it publishes again')
})

void t.test('lost pool connections are replaced on the next batch', async (t) => {
  const stream = await createTestStream(t)
  const { logger, lines } = captureLogger()
  const relay = await startOutboxRelay({ url, sweepAfterMs: 0, logger, publish: jetStreamPublisher(stream), pollIntervalMs: 20, registry: new Registry() })
  t.teardown(() => relay.stop())
  // Once the first event is out, the relay's connection mostly sits idle in the pool: terminating it
  // then is the pool's 'error' event; if the 20 ms sweep happens to be querying at that moment, the
  // query fails instead and the batch is retried. Either way the loss is seen and survived.
  const first = await enqueue(1)
  t.ok(await eventually(() => allSent(first)))
  await query(url, `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'orderflow-outbox-relay'`)
  const seen = ['outbox relay pool connection lost', 'outbox relay batch failed; retrying after the poll interval']
  t.ok(await eventually(() => lines.some((l) => seen.includes(String(l.msg)))), 'the lost connection was noticed')
  const events = await enqueue(2)
  t.ok(await eventually(() => allSent(events)))
})

void t.test('sent events are purged after the retention; unsent ones stay', async (t) => {
  const { logger } = captureLogger()
  const events = await enqueue(3)
  const stuck = events[2]?.id
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger,
    pollIntervalMs: 20,
    retryDelayMs: 60_000,
    retentionMs: 1,
    purgeIntervalMs: 30,
    registry: new Registry(),
    publish: (batch) => Promise.resolve(batch.map((r) => (r.id === stuck ? { ok: false as const, error: 'down' } : { ok: true as const }))),
  })
  t.teardown(() => relay.stop())
  t.ok(await eventually(async () => (await rows(events)).length === 1), 'the two sent rows are gone')
  t.same((await rows(events)).map((r) => r.id), [stuck], 'the unsent one stays')
  await query(url, 'delete from outbox where id = $1', [stuck])
})

void t.test('starting fails plainly when the relay cannot work', async (t) => {
  const { logger } = captureLogger()
  const publish: PublishBatch = (b) => Promise.resolve(b.map(() => ({ ok: true })))
  const unreachable = await t.rejects(startOutboxRelay({ url: 'postgres://postgres@127.0.0.1:1/nowhere', logger, publish }), OutboxRelayError)
  t.match(unreachable, { message: /cannot connect to the database/, cause: { code: 'ECONNREFUSED' } })

  const empty = await createTestDatabase(t, 'of_db_test_empty')
  await t.rejects(startOutboxRelay({ url: empty, logger, publish }), { name: 'OutboxRelayError', message: /run the migrations/ })

  await t.rejects(startOutboxRelay({ url, logger, publish, batchSize: 0 }), { name: 'OutboxRelayError', message: /batchSize must be a positive integer/ })
  await t.rejects(startOutboxRelay({ url, logger, publish, sweepAfterMs: -1 }), { name: 'OutboxRelayError', message: /sweepAfterMs must be an integer >= 0/ })

  // A role allowed no connection: the start's check is refused.
  const role = uniqueName('of_test_no_conn', { lower: true })
  await query(TEST_PG_ADMIN_URL, `create role "${role}" login connection limit 0`)
  t.teardown(() => query(TEST_PG_ADMIN_URL, `drop role if exists "${role}"`))
  const limited = new URL(url)
  limited.username = role
  const refused = await t.rejects(startOutboxRelay({ url: limited.toString(), logger, publish, poolSize: 1 }), OutboxRelayError)
  t.match(refused, { message: /cannot connect to the database/, cause: { code: '53300' } })
  const [open] = await query<{ n: number }>(
    url,
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'orderflow-outbox-%'`,
  )
  t.equal(open?.n, 0, 'a failed start leaves no connection behind')
})
