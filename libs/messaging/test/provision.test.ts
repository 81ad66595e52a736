import { AckPolicy } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { Streams } from '@orderflow/contracts'
import { deleteStreamsAfter, uniqueName } from '@orderflow/testing'
import t from 'tap'
import {
  DEAD_LETTER_DEFAULTS,
  platformStreams,
  provision,
  ProvisioningError,
  resolveConsumerSpec,
  retryDelayMs,
  SpecError,
  type ConsumerSpec,
  type StreamSpec,
} from '@orderflow/messaging'
import { messagingFixture } from './fixtures/messaging.js'

void t.test('provisioning twice changes nothing', async (t) => {
  const fx = await messagingFixture(t)
  const name = uniqueName('PROV')
  deleteStreamsAfter(t, fx.nc, name)
  const stream: StreamSpec = { name, subjects: [`${name.toLowerCase()}.>`], maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 }
  const consumer: ConsumerSpec = { stream: name, durable: 'prov-worker', filterSubjects: [`${name.toLowerCase()}.a`], ackWaitMs: 5_000, maxDeliver: 4, backoffMs: [100], maxAckPending: 7 }

  const first = await provision(fx.bus.jsm, { streams: [stream], consumers: [consumer] }, { replicas: 1 })
  t.same(first.streams, [{ name, action: 'created', changed: [] }])
  t.same(first.consumers, [{ stream: name, durable: 'prov-worker', action: 'created', changed: [] }])
  const before = await fx.bus.jsm.consumers.info(name, 'prov-worker')

  const second = await provision(fx.bus.jsm, { streams: [stream], consumers: [consumer] }, { replicas: 1 })
  t.same(second.streams.map((s) => s.action), ['unchanged'])
  t.same(second.consumers.map((c) => c.action), ['unchanged'])
  const after = await fx.bus.jsm.consumers.info(name, 'prov-worker')
  t.same(after.config, before.config, 'the consumer definition is untouched')
  t.equal(after.config.filter_subject, `${name.toLowerCase()}.a`, 'one subject goes in filter_subject (works on 2.9)')
  t.equal(after.config.ack_wait, nanos(5_000), 'ack_wait is the handler budget: no server backoff replaces it')
  t.notOk(after.config.backoff?.length, 'retries are the runner’s naks, not server backoff')
  const info = await fx.bus.jsm.streams.info(name)
  t.equal(info.config.storage, 'file')
  t.equal(info.config.duplicate_window, nanos(60_000))
})

void t.test('concurrent provisioning of the same declarations succeeds', async (t) => {
  const fx = await messagingFixture(t)
  const name = uniqueName('PROV')
  deleteStreamsAfter(t, fx.nc, name)
  const plan = { streams: [{ name, subjects: [`${name.toLowerCase()}.>`] }], consumers: [{ stream: name, durable: 'prov-race', filterSubjects: [] }] }
  const reports = await Promise.all([provision(fx.bus.jsm, plan), provision(fx.bus.jsm, plan)])
  t.equal(reports.length, 2)
  t.equal((await fx.bus.jsm.consumers.info(name, 'prov-race')).config.filter_subject, undefined, 'no filter: the whole stream')
})

void t.test('a changed stream or consumer definition is updated in place', async (t) => {
  const fx = await messagingFixture(t)
  const name = uniqueName('PROV')
  deleteStreamsAfter(t, fx.nc, name)
  const subject = name.toLowerCase()
  const stream: StreamSpec = { name, subjects: [`${subject}.a.>`] }
  const consumer: ConsumerSpec = { stream: name, durable: 'prov-worker', filterSubjects: [`${subject}.a.x`], maxDeliver: 4 }
  await provision(fx.bus.jsm, { streams: [stream], consumers: [consumer] })
  await fx.bus.js.publish(`${subject}.a.x`, 'kept')

  const changed = await provision(fx.bus.jsm, {
    streams: [{ ...stream, subjects: [`${subject}.a.>`, `${subject}.b.>`], maxAgeMs: 600_000, description: 'two subjects' }],
    consumers: [{ ...consumer, filterSubjects: [`${subject}.a.>`], maxDeliver: 6, ackWaitMs: 1_500, maxAckPending: 3 }],
  })
  t.same(changed.streams[0]?.action, 'updated')
  t.same(changed.streams[0]?.changed, ['subjects', 'max_age', 'description'])
  t.same(changed.consumers[0]?.changed, ['filter_subjects', 'ack_wait', 'max_deliver', 'max_ack_pending'])
  const si = await fx.bus.jsm.streams.info(name)
  t.same(si.config.subjects, [`${subject}.a.>`, `${subject}.b.>`])
  t.equal(si.state.messages, 1, 'an update keeps the messages')
  const ci = await fx.bus.jsm.consumers.info(name, 'prov-worker')
  t.match(ci.config, { filter_subject: `${subject}.a.>`, max_deliver: 6, ack_wait: nanos(1_500), max_ack_pending: 3 })
})

void t.test('a consumer made with server backoff is brought back to the declaration', async (t) => {
  const fx = await messagingFixture(t)
  await fx.bus.jsm.consumers.add(fx.stream, {
    durable_name: fx.durable('legacy'),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(10_000),
    max_deliver: 5,
    backoff: [nanos(200), nanos(400)],
  })
  t.equal((await fx.bus.jsm.consumers.info(fx.stream, fx.durable('legacy'))).config.ack_wait, nanos(200), 'the server replaced ack_wait by backoff[0]')
  const report = await provision(fx.bus.jsm, { consumers: [{ stream: fx.stream, durable: fx.durable('legacy'), filterSubjects: [], ackWaitMs: 10_000, maxDeliver: 5 }] })
  t.same(report.consumers[0]?.changed, ['ack_wait', 'max_ack_pending', 'backoff'])
  const ci = await fx.bus.jsm.consumers.info(fx.stream, fx.durable('legacy'))
  t.notOk(ci.config.backoff?.length)
  t.equal(ci.config.ack_wait, nanos(10_000))
})

void t.test('changes JetStream cannot apply in place are refused', async (t) => {
  const fx = await messagingFixture(t)
  await fx.bus.jsm.streams.add({ name: `${fx.stream}_MEM`, subjects: [`${fx.prefix}_mem.>`], storage: 'memory' })
  t.teardown(() => fx.bus.jsm.streams.delete(`${fx.stream}_MEM`).catch(() => false))
  const storage = await t.rejects(provision(fx.bus.jsm, { streams: [{ name: `${fx.stream}_MEM`, subjects: [`${fx.prefix}_mem.>`] }] }), ProvisioningError)
  t.ok(storage)

  await fx.bus.jsm.consumers.add(fx.stream, { durable_name: fx.durable('acknone'), ack_policy: AckPolicy.None })
  await t.rejects(
    provision(fx.bus.jsm, { consumers: [{ stream: fx.stream, durable: fx.durable('acknone'), filterSubjects: [] }] }),
    { name: 'ProvisioningError', message: /not a pull consumer with explicit acks/ },
  )

  // A change the server itself refuses surfaces with the server's reason: here the new subjects
  // overlap the dead-letter stream's.
  await t.rejects(provision(fx.bus.jsm, { streams: [{ name: fx.stream, subjects: [`${fx.prefix}.>`, `${fx.prefix}_dlq.>`] }] }), {
    name: 'ProvisioningError',
    message: /update failed: .*overlap/,
  })
  await t.rejects(provision(fx.bus.jsm, { consumers: [{ stream: 'NO_SUCH_STREAM_X1', durable: 'x-y', filterSubjects: [] }] }), {
    name: 'ProvisioningError',
    message: /cannot read its current definition/,
  })
})

void t.test('several filter subjects need nats-server 2.10', async (t) => {
  const fx = await messagingFixture(t)
  const spec: ConsumerSpec = { stream: fx.stream, durable: fx.durable('multi'), filterSubjects: [`${fx.prefix}.a`, `${fx.prefix}.b`] }
  const [major = 0, minor = 0] = (fx.bus.nc.info?.version ?? '0.0').split('.').map(Number)
  if (major === 2 && minor < 10) {
    await t.rejects(provision(fx.bus.jsm, { consumers: [spec] }), { name: 'ProvisioningError', message: /filter_subjects.*2\.10/ })
  } else {
    const report = await provision(fx.bus.jsm, { consumers: [spec] })
    t.equal(report.consumers[0]?.action, 'created')
  }
})

void t.test('malformed declarations are refused before any server call', async (t) => {
  const base: ConsumerSpec = { stream: 'ORDERS', durable: 'order-projector', filterSubjects: ['order.evt.>'] }
  const problemsOf = (spec: ConsumerSpec) => {
    try {
      resolveConsumerSpec(spec)
    } catch (err) {
      if (err instanceof SpecError) return err.problems
    }
    return []
  }
  t.throws(() => resolveConsumerSpec({ ...base, durable: 'Projector' }), SpecError)
  t.same(problemsOf({ ...base, backoffMs: [] }), ['backoffMs needs at least one positive integer step'])
  t.match(problemsOf({ ...base, maxDeliver: 0, ackWaitMs: -1, maxAckPending: 0, stream: 'A.B', filterSubjects: [' '] }), [
    /stream/,
    /filter/,
    /ackWaitMs/,
    /maxDeliver/,
    /maxAckPending/,
  ])
  const fx = await messagingFixture(t)
  await t.rejects(provision(fx.bus.jsm, { streams: [{ name: 'BAD', subjects: ['bad.>'], maxAgeMs: 1_000, duplicateWindowMs: 5_000 }] }), {
    name: 'SpecError',
    problems: ['duplicateWindowMs must not exceed maxAgeMs'],
  })
  await t.rejects(provision(fx.bus.jsm, { streams: [{ name: 'BAD.NAME', subjects: [], maxBytes: 0, replicas: 7 }] }), { name: 'SpecError' })
})

void t.test('defaults and retry delays', (t) => {
  const spec = resolveConsumerSpec({ stream: 'ORDERS', durable: 'order-projector', filterSubjects: [] })
  t.match(spec, { ackWaitMs: 30_000, maxDeliver: 5, backoffMs: [1_000, 5_000, 30_000], maxAckPending: 20 })
  t.same([1, 2, 3, 4, 9].map((n) => retryDelayMs(spec, n)), [1_000, 5_000, 30_000, 30_000, 30_000], 'the last step repeats')
  t.end()
})

void t.test('platform streams come from the contracts plus the dead-letter streams', (t) => {
  const streams = platformStreams(3)
  t.same(
    streams.map((s) => s.name),
    [...Object.values(Streams).map((s) => s.name), DEAD_LETTER_DEFAULTS.stream, DEAD_LETTER_DEFAULTS.advisoryStream],
  )
  t.ok(streams.every((s) => s.replicas === 3))
  t.same(
    streams.at(-1)?.subjects,
    Object.values(Streams).map((s) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${s.name}.*`),
    'only the platform streams are watched, so other namespaces can capture theirs',
  )
  t.notOk(platformStreams().some((s) => 'replicas' in s), 'without an argument, provision’s replicas apply')
  t.end()
})
