import { setTimeout as sleep } from 'node:timers/promises'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import {
  createDeadLetters,
  createPublisher,
  MAX_DELIVERIES_ADVISORY,
  startDeadLetterCopier,
  type ConsumerSpec,
  type DeadLetters,
} from '@orderflow/messaging'
import { advisoryCapture, countIn, deadLettersIn, eventually, messagingFixture, orderCreated, type Fixture, type Teardown } from './fixtures/messaging.js'

/**
 * Plays a consumer process that dies during every delivery: it takes the message and never
 * settles it, until the server gives up and raises the MAX_DELIVERIES advisory.
 */
async function exhaustDeliveries(t: Teardown, fx: Fixture, spec: ConsumerSpec): Promise<void> {
  const consumer = await fx.bus.js.consumers.get(spec.stream, spec.durable)
  for (let i = 0; i < (spec.maxDeliver ?? 0); i++) {
    const msg = await consumer.next({ expires: 2_000 })
    if (!msg) throw new Error('expected a delivery')
  }
  // The advisory is raised when the server next tries to deliver, so a pull stays open until
  // the test ends.
  const tail = await consumer.fetch({ max_messages: 1, expires: 5_000 })
  const drained = (async () => {
    for await (const msg of tail) throw new Error(`no delivery expected after the last one, got ${msg.seq}`)
  })()
  t.teardown(async () => {
    await tail.close()
    await drained
  })
}

type Capture = Awaited<ReturnType<typeof advisoryCapture>>

async function startCopier(t: Teardown, fx: Fixture, deadLetters: DeadLetters = fx.deadLetters, ready?: Capture) {
  const capture = ready ?? (await advisoryCapture(t, fx))
  const copier = await startDeadLetterCopier({ bus: fx.bus, logger: fx.logger, deadLetters, registry: fx.registry, ...capture })
  t.teardown(() => copier.stop())
  return { copier, capture }
}

void t.test('a message whose consumer died on every delivery is copied into the DLQ from the advisory', async (t) => {
  const fx = await messagingFixture(t)
  await startCopier(t, fx)
  const spec = await fx.consumer({ maxDeliver: 2, ackWaitMs: 200 })
  const event = orderCreated()
  const ack = await createPublisher(fx.bus).publish(event, { subject: fx.subject(OrderCreated), headers: { 'x-request-id': 'r-7' } })
  await exhaustDeliveries(t, fx, spec)
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, {
    reason: 'max_deliveries',
    origin: { subject: fx.subject(OrderCreated), stream: fx.stream, seq: ack.seq, consumer: spec.durable, deliveries: 2 },
    error: /^unknown: the consumer stopped during its last delivery/,
    headers: { 'x-request-id': 'r-7' },
    eventId: event.id,
    missing: false,
  })
  t.ok(fx.logs.some((l) => l.msg === 'dead letter copied'))
})

void t.test('the copier uses the last error the runner remembered', async (t) => {
  const fx = await messagingFixture(t)
  await startCopier(t, fx)
  const spec = await fx.consumer({ maxDeliver: 2, ackWaitMs: 200 })
  const ack = await createPublisher(fx.bus).publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  fx.deadLetters.rememberFailure({ stream: fx.stream, seq: ack.seq, consumer: spec.durable }, new Error('stock service unreachable'))
  await exhaustDeliveries(t, fx, spec)
  const [dl] = await deadLettersIn(fx, 1)
  t.equal(dl?.error, 'Error: stock service unreachable')
})

void t.test('a message the runner already dead-lettered is not copied twice', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 2, ackWaitMs: 200 })
  const ack = await createPublisher(fx.bus).publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  // As if the runner recorded the dead letter but died before its term() reached the server.
  const origin = { subject: fx.subject(OrderCreated), stream: fx.stream, seq: ack.seq, consumer: spec.durable, deliveries: 2 }
  await fx.deadLetters.record({ reason: 'max_deliveries', origin, error: 'Error: from the runner', data: new Uint8Array([1]) })
  await startCopier(t, fx)
  await exhaustDeliveries(t, fx, spec)
  await eventually(() => (fx.logs.some((l) => l.msg === 'dead letter already recorded') ? true : undefined), 6_000, 'the copier to see it')
  const list = await fx.deadLetters.list()
  t.equal(list.length, 1, 'one dead letter')
  t.equal(list[0]?.error, 'Error: from the runner', 'the first record wins')
})

void t.test('a message gone from its stream is still recorded, marked missing', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 2, ackWaitMs: 200 })
  const ack = await createPublisher(fx.bus).publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  const capture = await advisoryCapture(t, fx)
  await exhaustDeliveries(t, fx, spec)
  const advisorySubject = `${MAX_DELIVERIES_ADVISORY}.${fx.stream}.${spec.durable}`
  await eventually(() => fx.bus.jsm.streams.getMessage(capture.advisoryStream, { last_by_subj: advisorySubject }).then((m) => m ?? undefined), 3_000, 'the advisory')
  await fx.bus.jsm.streams.deleteMessage(fx.stream, ack.seq)
  // The advisory waits in its stream while no copier runs: started now, the copier catches up.
  await startCopier(t, fx, fx.deadLetters, capture)
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, { missing: true, origin: { seq: ack.seq, subject: '', deliveries: 2 }, error: 'unknown' })
  t.equal(dl?.data.length, 0)

  // The same when the whole stream is gone.
  const gone = { stream: `${fx.stream}_GONE`, consumer: 'ghost-worker', stream_seq: 9, deliveries: 4 }
  await fx.bus.js.publish(`${MAX_DELIVERIES_ADVISORY}.${fx.stream}.ghost`, JSON.stringify(gone))
  const [, second] = await deadLettersIn(fx, 2)
  t.match(second, { missing: true, origin: { stream: gone.stream, seq: 9, consumer: 'ghost-worker', deliveries: 4 } })
})

void t.test('an unreadable advisory is skipped; a DLQ that cannot be written is retried', async (t) => {
  const fx = await messagingFixture(t)
  const unreachable = createDeadLetters(fx.bus, { stream: `${fx.stream}_NONE`, subjectPrefix: `${fx.prefix}_none` })
  const { capture } = await startCopier(t, fx, unreachable)
  await fx.bus.js.publish(`${MAX_DELIVERIES_ADVISORY}.${fx.stream}.garbage`, 'not an advisory')
  await fx.bus.js.publish(
    `${MAX_DELIVERIES_ADVISORY}.${fx.stream}.someone`,
    JSON.stringify({ stream: fx.stream, consumer: 'someone', stream_seq: 1, deliveries: 5 }),
  )
  await eventually(() => (fx.logs.some((l) => l.msg === 'unreadable MAX_DELIVERIES advisory skipped') ? true : undefined))
  await eventually(() => (fx.logs.some((l) => l.msg === 'copying a dead letter failed; will retry') ? true : undefined))
  await sleep(100)
  const info = await fx.bus.jsm.consumers.info(capture.advisoryStream, capture.durable)
  t.equal(info.num_ack_pending, 1, 'the failed copy waits for its retry')
  t.equal(await countIn(fx.bus, fx.dlqStream), 0)
})

void t.test('a stopped copier takes no more advisories; they wait for the next one', async (t) => {
  const fx = await messagingFixture(t)
  const { copier, capture } = await startCopier(t, fx)
  await copier.stop()
  await copier.stop() // stopping twice is harmless
  const ack = await createPublisher(fx.bus).publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  await fx.bus.js.publish(
    `${MAX_DELIVERIES_ADVISORY}.${fx.stream}.worker`,
    JSON.stringify({ stream: fx.stream, consumer: 'worker', stream_seq: ack.seq, deliveries: 3 }),
  )
  await sleep(300)
  const info = await fx.bus.jsm.consumers.info(capture.advisoryStream, capture.durable)
  t.equal(info.num_pending, 1, 'still waiting in its stream')
  t.equal(info.num_ack_pending, 0, 'nobody holds it')
  t.equal(await countIn(fx.bus, fx.dlqStream), 0)

  await startCopier(t, fx, fx.deadLetters, capture)
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, { origin: { seq: ack.seq, consumer: 'worker', deliveries: 3 } })
})
