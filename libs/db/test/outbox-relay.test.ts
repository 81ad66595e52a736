import t from 'tap'
import { Registry } from 'prom-client'
import { enqueueEvents, startOutboxRelay, type OutboxRecord, type PublishBatch } from '@orderflow/db'
import type { CloudEvent } from '@orderflow/contracts'
import { captureLogger, confirmedEvent, eventually, query, setupDatabase } from './fixtures/helpers.js'
import { createTestStream, jetStreamPublisher, messageCount, storedEvents } from './fixtures/jetstream.js'

const { url, orm } = await setupDatabase(t)
const { logger } = captureLogger()

async function enqueue(n: number, perTransaction = 10): Promise<CloudEvent[]> {
  const events: CloudEvent[] = []
  for (let i = 0; i < n; i += perTransaction) {
    const batch = Array.from({ length: Math.min(perTransaction, n - i) }, () => confirmedEvent())
    await orm.em.fork().transactional((em) => enqueueEvents(em, batch))
    events.push(...batch)
  }
  return events
}

async function unsent(): Promise<number> {
  const [row] = await query<{ n: number }>(url, 'select count(*)::int as n from outbox where sent_at is null')
  return row?.n ?? -1
}

async function metric(registry: Registry, name: string): Promise<number> {
  const json = await registry.getMetricsAsJSON()
  const found = json.find((m) => m.name === name)
  const values = (found?.values ?? []) as Array<{ value: number; metricName?: string }>
  // A histogram's count is its `_count` sample; a counter or gauge has one value.
  const sample = values.find((v) => v.metricName === `${name}_count`) ?? values[0]
  return sample?.value ?? NaN
}

void t.test('every enqueued event is published exactly once, in order, as its id', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  const events = await enqueue(230)
  const relay = await startOutboxRelay({ url, sweepAfterMs: 0, publish: jetStreamPublisher(stream), logger, batchSize: 50, pollIntervalMs: 50, registry })
  t.teardown(() => relay.stop())

  t.ok(await eventually(async () => (await unsent()) === 0), 'every row is marked sent')
  const stored = await storedEvents(stream)
  t.equal(stored.length, 230, 'the stream holds each event once')
  t.same(stored.map((s) => s.msgId), events.map((e) => e.id), 'Nats-Msg-Id is the event id, in enqueue order')
  t.same(stored[0]?.event, events[0], 'the message is the CloudEvent')

  t.equal(await metric(registry, 'outbox_published_total'), 230)
  t.equal(await metric(registry, 'outbox_publish_failures_total'), 0)
  t.equal(await metric(registry, 'outbox_publish_latency_seconds'), 230, 'a latency per event')
  t.equal(await metric(registry, 'outbox_batch_size'), 5, 'full batches of 50 back to back, then the rest')
  t.equal(await metric(registry, 'outbox_pending'), 0)
})

void t.test('outbox_pending counts the unsent events when scraped', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const publish = jetStreamPublisher(stream)
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger,
    pollIntervalMs: 50,
    registry,
    publish: async (batch) => {
      await gate
      return publish(batch)
    },
  })
  t.teardown(() => relay.stop())
  await enqueue(3)
  t.equal(await metric(registry, 'outbox_pending'), 3, 'claimed but not yet sent is still pending')
  await query(url, `update outbox set created_at = created_at - interval '90 seconds' where sent_at is null`)
  const age = await metric(registry, 'outbox_oldest_pending_age_seconds')
  t.ok(age >= 90 && age < 150, `the oldest unsent event has waited about 90 s (${age})`)
  release()
  t.ok(await eventually(async () => (await unsent()) === 0))
  t.equal(await metric(registry, 'outbox_pending'), 0)
  t.equal(await metric(registry, 'outbox_oldest_pending_age_seconds'), 0, 'nothing waits')
})

void t.test('while no relay runs events wait; they go out when one starts', async (t) => {
  const stream = await createTestStream(t)
  const registry = new Registry()
  const first = await startOutboxRelay({ url, sweepAfterMs: 0, publish: jetStreamPublisher(stream), logger, pollIntervalMs: 50, registry })
  await first.stop()
  await first.stop() // stopping twice is harmless

  const events = await enqueue(5)
  await new Promise((r) => setTimeout(r, 200))
  t.equal(await unsent(), 5, 'nothing publishes them')
  t.equal(await messageCount(stream), 0)

  const second = await startOutboxRelay({ url, sweepAfterMs: 0, publish: jetStreamPublisher(stream), logger, pollIntervalMs: 50, registry })
  t.teardown(() => second.stop())
  t.ok(await eventually(async () => (await unsent()) === 0))
  t.same((await storedEvents(stream)).map((s) => s.msgId), events.map((e) => e.id))
})

void t.test('two relays on one table publish each event exactly once', async (t) => {
  const stream = await createTestStream(t)
  const events = await enqueue(400, 50)
  const published = new Map<string, number>()
  const byRelay = [0, 0]
  const counting = (relay: number): PublishBatch => {
    const publish = jetStreamPublisher(stream)
    return async (batch: readonly OutboxRecord[]) => {
      for (const r of batch) published.set(r.id, (published.get(r.id) ?? 0) + 1)
      byRelay[relay] = (byRelay[relay] ?? 0) + batch.length
      // A little broker latency, so the two relays' batches overlap.
      await new Promise((r) => setTimeout(r, 5))
      return publish(batch)
    }
  }
  const registry = new Registry()
  const relays = await Promise.all([0, 1].map((i) => startOutboxRelay({ url, sweepAfterMs: 0, publish: counting(i), logger, batchSize: 20, pollIntervalMs: 50, registry })))
  t.teardown(() => Promise.all(relays.map((r) => r.stop())))

  t.ok(await eventually(async () => (await unsent()) === 0))
  t.equal(published.size, 400)
  t.ok([...published.values()].every((n) => n === 1), 'no event was handed to publish twice')
  t.ok(byRelay.every((n) => n > 0), `both relays worked (${byRelay.join(' + ')})`)
  t.equal(await messageCount(stream), 400)
  t.same(new Set((await storedEvents(stream)).map((s) => s.msgId)), new Set(events.map((e) => e.id)))
  t.equal(await metric(registry, 'outbox_published_total'), 400, 'two relays share one set of metrics')
})

void t.test('stop finishes the batch in progress, then closes', async (t) => {
  const stream = await createTestStream(t)
  let entered!: () => void
  const inPublish = new Promise<void>((r) => (entered = r))
  const publish = jetStreamPublisher(stream)
  const relay = await startOutboxRelay({
    url,
    sweepAfterMs: 0,
    logger,
    pollIntervalMs: 50,
    registry: new Registry(),
    publish: async (batch) => {
      entered()
      await new Promise((r) => setTimeout(r, 200))
      return publish(batch)
    },
  })
  await enqueue(3)
  await inPublish
  await relay.stop()
  t.equal(await unsent(), 0, 'the batch was published and marked before stop returned')
  t.equal(await messageCount(stream), 3)
  const [open] = await query<{ n: number }>(
    url,
    `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'orderflow-outbox-%'`,
  )
  t.equal(open?.n, 0, 'its connections are closed')
})

async function sentDelays(events: readonly CloudEvent[]): Promise<Array<number | null>> {
  const rows = await query<{ seconds: number | null }>(
    url,
    'select extract(epoch from sent_at - created_at)::float8 as seconds from outbox where id = any($1::uuid[]) order by seq',
    [events.map((e) => e.id)],
  )
  return rows.map((r) => r.seconds)
}

void t.test('the relay leaves rows younger than sweepAfterMs to the process that committed them', async (t) => {
  const stream = await createTestStream(t)
  t.ok(await eventually(async () => (await unsent()) === 0), 'nothing left from earlier tests')
  const relay = await startOutboxRelay({ url, publish: jetStreamPublisher(stream), logger, pollIntervalMs: 50, sweepAfterMs: 1_500, registry: new Registry() })
  t.teardown(() => relay.stop())
  const events = await enqueue(3)
  await new Promise((r) => setTimeout(r, 800))
  t.equal(await messageCount(stream), 0, 'not swept while younger than 1.5 s, though the relay looked ~15 times')
  t.equal(await unsent(), 3)
  t.ok(await eventually(async () => (await unsent()) === 0, 5_000), 'swept once old enough')
  const delays = await sentDelays(events)
  t.ok(delays.every((s) => s !== null && s >= 1.5 && s < 3), `each sent 1.5 s or more after it was written (${delays.join(', ')})`)
  t.same((await storedEvents(stream)).map((s) => s.msgId), events.map((e) => e.id))
})

void t.test('by default the relay sweeps only rows older than 5 s', async (t) => {
  const stream = await createTestStream(t)
  const [old] = await enqueue(1)
  const [fresh] = await enqueue(1)
  // As if the process that committed it had crashed 6 s ago.
  await query(url, `update outbox set created_at = now() - interval '6 seconds' where id = $1`, [old!.id])
  const relay = await startOutboxRelay({ url, publish: jetStreamPublisher(stream), logger, pollIntervalMs: 50, registry: new Registry() })
  t.teardown(() => relay.stop())
  t.ok(await eventually(async () => (await messageCount(stream)) === 1, 5_000), 'the crash leftover is swept')
  await new Promise((r) => setTimeout(r, 1_000))
  t.same((await storedEvents(stream)).map((s) => s.msgId), [old!.id], 'the young row is left alone')
  t.same((await sentDelays([fresh!])), [null])
  await relay.stop()
  await query(url, 'delete from outbox where id = $1', [fresh!.id])
})
