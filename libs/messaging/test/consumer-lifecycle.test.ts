import { setTimeout as sleep } from 'node:timers/promises'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createPublisher, provision, ProvisioningError, runConsumer, SpecError } from '@orderflow/messaging'
import { eventually, messagingFixture, orderCreated } from './fixtures/messaging.js'

void t.test('stop() waits for the running handler and its ack, then pulls no more', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  let started = 0
  let finishedAt = 0
  const runner = await fx.run({
    spec,
    handler: async () => {
      started++
      await sleep(400)
      finishedAt = performance.now()
    },
  })
  const publisher = createPublisher(fx.bus)
  await publisher.publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  await eventually(() => (runner.inFlight() === 1 ? true : undefined))
  await runner.stop()
  const stoppedAt = performance.now()
  t.ok(finishedAt > 0 && stoppedAt >= finishedAt, 'stop resolved after the handler finished')
  t.equal(runner.inFlight(), 0)
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.ack_floor.stream_seq, 1, 'the ack reached the server before stop() returned')
  t.equal(info.num_ack_pending, 0)

  await publisher.publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  await sleep(300)
  t.equal(started, 1, 'nothing is pulled after stop')
  await runner.stop()
  t.ok(fx.logs.some((l) => l.msg === 'consumer stopped'))
})

void t.test('handlers in flight never exceed the concurrency', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxAckPending: 10 })
  let inFlight = 0
  let peak = 0
  const done = new Set<string>()
  await fx.run({
    spec,
    concurrency: 3,
    handler: async (event) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await sleep(60)
      inFlight--
      done.add(event.id)
    },
  })
  const outcomes = await createPublisher(fx.bus).publishMany(Array.from({ length: 15 }, () => ({ event: orderCreated(), subject: fx.subject(OrderCreated) })))
  t.ok(outcomes.every((o) => o.ok))
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
  await createPublisher(fx.bus).publishMany(Array.from({ length: 3 }, () => ({ event: orderCreated(), subject: fx.subject(OrderCreated) })))
  const runner = await fx.run({ spec, concurrency: 1, handler: () => gate })
  await eventually(() => (runner.inFlight() === 1 ? true : undefined))
  t.match(await fx.registry.getSingleMetricAsString('messaging_consumer_pending'), new RegExp(`consumer="${spec.durable}"} 3`))
  release()
  await runner.stop()
  t.notMatch(await fx.registry.getSingleMetricAsString('messaging_consumer_pending'), spec.durable, 'a stopped consumer is no longer reported')
})

void t.test('the runner survives its consumer being deleted and re-created', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer()
  const handled: string[] = []
  await fx.run({ spec, handler: (e) => Promise.resolve(void handled.push(e.id)) })
  await sleep(100)
  await fx.bus.jsm.consumers.delete(fx.stream, spec.durable)
  await eventually(() => (fx.logs.some((l) => l.msg === 'pulling messages failed; retrying') ? true : undefined), 5_000, 'a failed pull')
  await provision(fx.bus.jsm, { consumers: [spec] })
  const event = orderCreated()
  await createPublisher(fx.bus).publish(event, { subject: fx.subject(OrderCreated) })
  await eventually(() => (handled.includes(event.id) ? true : undefined), 10_000, 'delivery after recovery')
  t.pass('delivered again once the consumer is back')
})

void t.test('a consumer that was not provisioned, or too much concurrency, stops the start', async (t) => {
  const fx = await messagingFixture(t)
  const base = { bus: fx.bus, logger: fx.logger, deadLetters: fx.deadLetters, handler: () => Promise.resolve() }
  await t.rejects(runConsumer({ ...base, spec: { stream: fx.stream, durable: fx.durable('missing'), filterSubjects: [] } }), ProvisioningError)
  const spec = await fx.consumer({ maxAckPending: 4 })
  await t.rejects(runConsumer({ ...base, spec, concurrency: 5 }), SpecError)
  await t.rejects(runConsumer({ ...base, spec, concurrency: 0 }), SpecError)
})
