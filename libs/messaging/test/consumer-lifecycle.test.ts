import { setTimeout as sleep } from 'node:timers/promises'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, provision, ProvisioningError, runConsumer, SpecError, type Delivery } from '@orderflow/messaging'
import { consumerOf, eventually, messagingFixture, orderCreated, publishOrders, settled } from './fixtures/messaging.js'

void t.test('stop() waits for the running batch and its ack, then pulls no more', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  let started = 0
  let finishedAt = 0
  const runner = await fx.run({
    consumer: consumerOf(spec, async () => {
      started++
      await sleep(400)
      finishedAt = performance.now()
    }),
  })
  const publisher = createPublisher(fx.bus)
  await publisher.publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  await eventually(() => (started === 1 ? true : undefined))
  t.equal(runner.inFlight(), 1)
  await runner.stop()
  const stoppedAt = performance.now()
  t.ok(finishedAt > 0 && stoppedAt >= finishedAt, 'stop resolved after the batch finished')
  t.equal(runner.inFlight(), 0)
  t.same(fx.store.transactions.map((x) => x.outcome), ['committed'])
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.ack_floor.stream_seq, 1, 'the ack reached the server before stop() returned')
  t.equal(info.num_ack_pending, 0)

  await publisher.publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  await sleep(300)
  t.equal(started, 1, 'nothing is pulled after stop')
  await runner.stop()
  t.ok(fx.logs.some((l) => l.msg === 'consumer stopped'))
})

void t.test('stop() hands the messages not started back at once: another instance takes them long before the ack wait', async (t) => {
  const fx = await messagingFixture(t)
  // An ack wait far beyond the test's patience: only a nak can bring the messages back in time.
  const spec = await fx.consumer({ ackWaitMs: 60_000, maxAckPending: 20 })
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  t.teardown(() => release()) // should an assertion fail first, the runner can still stop
  const first: Delivery[] = []
  const a = await fx.run({
    concurrency: 1,
    maxBatch: 1,
    consumer: consumerOf(spec, async (batch) => {
      first.push(...batch)
      await gate
    }),
  })
  const events = await publishOrders(fx, 5)
  await eventually(() => (a.inFlight() === 5 ? true : undefined), 5_000, 'the first instance to hold all five')
  t.equal(first.length, 1, 'one batch running, four waiting behind it')

  const second: Delivery[] = []
  await fx.run({ consumer: consumerOf(spec, (batch) => Promise.resolve(void second.push(...batch))) })
  await sleep(200)
  t.equal(second.length, 0, 'while the first instance holds them, the second gets nothing')

  const stopping = a.stop()
  const startedAt = performance.now()
  await eventually(() => (second.length === 4 ? true : undefined), 5_000, 'the second instance to take the four')
  const took = performance.now() - startedAt
  t.ok(took < 2_000, `taken over ${Math.round(took)} ms after stop(), not after the 60 s ack wait`)
  t.equal(a.inFlight(), 1, 'only the running batch is still held')
  release()
  await stopping
  t.same(second.map((d) => d.event.id).sort(), events.slice(1).map((e) => e.id).sort())
  t.ok(second.every((d) => d.deliveryCount === 2), 'each was handed back once')
  t.equal(first[0]?.event.id, events[0]?.id)
  await settled(fx, spec.durable)
  t.same([...fx.store.transactions.flatMap((x) => x.eventIds)].sort(), events.map((e) => e.id).sort(), 'each event committed once')
})

void t.test('batches in flight never exceed the concurrency', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 10 })
  let inFlight = 0
  let peak = 0
  const done = new Set<string>()
  await fx.run({
    concurrency: 3,
    maxBatch: 1,
    consumer: consumerOf(spec, async (batch) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await sleep(60)
      inFlight--
      for (const d of batch) done.add(d.event.id)
    }),
  })
  await publishOrders(fx, 15)
  await eventually(() => (done.size === 15 ? true : undefined), 5_000, 'all handled')
  t.equal(peak, 3, 'three at a time, never more')
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0, 'no message waited long enough in a buffer to be redelivered')
})

void t.test('the pending gauge reports what the consumer still has to do', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  await publishOrders(fx, 3)
  const runner = await fx.run({ concurrency: 1, maxBatch: 1, consumer: consumerOf(spec, () => gate) })
  await eventually(() => (runner.inFlight() === 3 ? true : undefined))
  t.match(await fx.registry.getSingleMetricAsString('messaging_consumer_pending'), new RegExp(`consumer="${spec.durable}"} 3`))
  release()
  await runner.stop()
  t.notMatch(await fx.registry.getSingleMetricAsString('messaging_consumer_pending'), spec.durable, 'a stopped consumer is no longer reported')
})

void t.test('the runner survives its consumer being deleted and re-created', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const handled: string[] = []
  await fx.run({ consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push(...batch.map((d) => d.event.id)))) })
  await sleep(100)
  await fx.bus.jsm.consumers.delete(fx.stream, spec.durable)
  await eventually(() => (fx.logs.some((l) => l.msg === 'pull consumer status; nats.js resumes the pull') ? true : undefined), 5_000, 'the deletion noticed')
  await provision(fx.bus.jsm, { consumers: [spec] })
  const event = orderCreated()
  await createPublisher(fx.bus).publish(event, { subject: fx.subject(OrderCreated) })
  // Two missed idle heartbeats of a 5 s pull, then a fresh pull; nats.js's own 30 s default took 30–45 s.
  await eventually(() => (handled.includes(event.id) ? true : undefined), 15_000, 'delivery after recovery')
  t.pass('delivered again once the consumer is back')
})

void t.test('a consumer that was not provisioned, or a malformed concurrency or batch size, stops the start', async (t) => {
  const fx = await messagingFixture(t)
  const handle = () => Promise.resolve()
  const base = { bus: fx.bus, logger: fx.logger, deadLetters: fx.deadLetters, transact: fx.store.transact }
  const missing = { stream: fx.stream, durable: fx.durable('missing'), filterSubjects: [] }
  await t.rejects(runConsumer({ ...base, consumer: consumerOf(missing, handle) }), ProvisioningError)
  const consumer = consumerOf(await fx.consumer({ maxAckPending: 4 }), handle)
  for (const bad of [{ concurrency: 0 }, { concurrency: 1.5 }, { maxBatch: 0 }, { maxBatch: -3 }]) {
    await t.rejects(runConsumer({ ...base, consumer, ...bad }), SpecError, JSON.stringify(bad))
  }
  const runner = await runConsumer({ ...base, consumer, concurrency: 2, maxBatch: 8 })
  await runner.stop()
})
