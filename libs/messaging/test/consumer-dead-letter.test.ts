import { setTimeout as sleep } from 'node:timers/promises'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createDeadLetters, createPublisher, PermanentError } from '@orderflow/messaging'
import { consumerOf, countIn, deadLettersIn, eventually, messagingFixture, orderCreated, settled } from './fixtures/messaging.js'

void t.test('a consumer that always fails ends in the DLQ after max_deliver, with its origin', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 3, backoffMs: [100] })
  let calls = 0
  await fx.run({
    consumer: consumerOf(spec, () => {
      calls++
      return Promise.reject(new Error(`payment provider timeout #${calls}`))
    }),
  })
  const event = orderCreated()
  const subject = fx.subject(OrderCreated)
  const ack = await createPublisher(fx.bus).publish(event, { subject, headers: { 'x-request-id': 'r-9' } })
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, {
    reason: 'max_deliveries',
    origin: { subject, stream: fx.stream, seq: ack.seq, consumer: spec.durable, deliveries: 3 },
    error: 'Error: payment provider timeout #3',
    eventId: event.id,
    missing: false,
    headers: { 'x-request-id': 'r-9', 'Nats-Msg-Id': event.id },
  })
  t.same(JSON.parse(new TextDecoder().decode(dl?.data)), event, 'the original body, unchanged')
  await sleep(300)
  t.equal(calls, 3, 'no delivery after the last one')
  t.equal(await countIn(fx.bus, fx.dlqStream), 1)
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_ack_pending, 0, 'terminated, not left pending')
  const stored = await fx.bus.jsm.streams.getMessage(fx.dlqStream, { seq: dl!.seq })
  t.equal(stored?.header.get('Nats-Msg-Id'), `${fx.stream}:${ack.seq}:${spec.durable}`, 'one dead letter per message and consumer')
  t.equal(stored?.header.get('Orderflow-Dlq-Orig-Nats-Msg-Id'), event.id, 'the original JetStream headers are kept inert')
  t.equal(stored?.subject, `${fx.prefix}_dlq.${fx.stream}.${spec.durable}`)
  t.match(await fx.registry.metrics(), new RegExp(`consumer="${spec.durable}",outcome="terminated"} 1`))
})

void t.test('a message that is not a CloudEvent is terminated and dead-lettered at once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 5 })
  const handled: string[] = []
  await fx.run({ consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push(...batch.map((d) => d.event.id)))) })
  const command = `${fx.prefix}.inventory.cmd.reserve`
  await fx.bus.js.publish(command, 'not json at all')
  await fx.bus.js.publish(command, JSON.stringify({ hello: 'world' }))
  await fx.bus.js.publish(command, JSON.stringify({ ...orderCreated(), id: 'not-a-uuid' }))
  await fx.bus.js.publish(command, JSON.stringify({ ...orderCreated(), data: null }))
  await fx.bus.js.publish(command, '42')
  const list = await deadLettersIn(fx, 5)
  t.same(handled, [], 'the consumer never sees them')
  t.ok(list.every((d) => d.reason === 'invalid' && d.origin.deliveries === 1 && d.origin.subject === command))
  t.match(
    list.map((d) => d.error),
    [
      /^body is not JSON/,
      /^contract violation: id must be a UUID$/,
      /^contract violation: id must be a UUID$/,
      /^contract violation: type, subject and data are required$/,
      /^body is not a CloudEvent object$/,
    ],
  )
  t.equal(new TextDecoder().decode(list[0]?.data), 'not json at all', 'the raw bytes are kept')
  t.equal(list[0]?.eventId, undefined)
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0, 'no retry was spent on them')
  t.equal(info.ack_floor.stream_seq, 5)
})

void t.test('the contract is not checked again: an event whose data breaks it still reaches the consumer', async (t) => {
  // Validated once, where events are made (the publisher, the outbox): the consumer only checks types.
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 5 })
  const handled: string[] = []
  await fx.run({ consumer: consumerOf(spec, (batch) => Promise.resolve(void handled.push(...batch.map((d) => d.event.id)))) })
  const bad = { ...orderCreated(), data: { orderId: 'nope' } }
  await fx.bus.js.publish(fx.subject(OrderCreated), JSON.stringify(bad))
  await settled(fx, spec.durable)
  t.same(handled, [bad.id])
  t.equal(await countIn(fx.bus, fx.dlqStream), 0)
})

void t.test('an event that breaks its contract and fails its handler is dead-lettered at once, not retried', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 5, backoffMs: [60_000] })
  let calls = 0
  await fx.run({
    consumer: consumerOf(spec, (batch) => {
      calls++
      // As a real handler would, on data it was promised and did not get.
      if (batch.some((d) => typeof (d.event.data as { orderId?: unknown }).orderId !== 'string')) throw new TypeError('orderId.toLowerCase is not a function')
      return Promise.resolve()
    }),
  })
  const bad = { ...orderCreated(), data: { orderId: 42 } }
  await fx.bus.js.publish(fx.subject(OrderCreated), JSON.stringify(bad))
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, { reason: 'invalid', eventId: bad.id, origin: { deliveries: 1 }, error: /^contract violation: .*\/data\/orderId must be string \(handler: TypeError: orderId.toLowerCase is not a function\)$/ })
  t.equal(calls, 1, 'no retry, no minute-long backoff')

  // A valid event whose handler fails is still retried, as before.
  const good = orderCreated()
  await createPublisher(fx.bus).publish(good, { subject: fx.subject(OrderCreated) })
  await settled(fx, spec.durable)
  t.equal(calls, 2)
  t.equal(await countIn(fx.bus, fx.dlqStream), 1)
})

void t.test('a PermanentError dead-letters at once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 5 })
  let calls = 0
  await fx.run({
    consumer: consumerOf(spec, () => {
      calls++
      return Promise.reject(new PermanentError('order does not exist', { cause: new Error('row not found') }))
    }),
  })
  await createPublisher(fx.bus).publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  const [dl] = await deadLettersIn(fx, 1)
  t.match(dl, { reason: 'permanent', error: 'PermanentError: order does not exist', origin: { deliveries: 1 } })
  await sleep(200)
  t.equal(calls, 1)
})

void t.test('when the DLQ cannot be written the message is retried, not lost', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 3, backoffMs: [100] })
  const unreachable = createDeadLetters(fx.bus, { stream: `${fx.stream}_NONE`, subjectPrefix: `${fx.prefix}_none` })
  await fx.run({ deadLetters: unreachable, consumer: consumerOf(spec, () => Promise.resolve()) })
  await fx.bus.js.publish(`${fx.prefix}.inventory.cmd.reserve`, 'garbage')
  await eventually(() => (fx.logs.filter((l) => l.msg === 'cannot write the dead letter; the message will be redelivered').length >= 3 ? true : undefined))
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.ack_floor.stream_seq, 0, 'never terminated')
  t.ok(info.num_redelivered >= 1)
  t.match(await fx.registry.metrics(), new RegExp(`consumer="${spec.durable}",outcome="retried"} 3`))
  t.match(unreachable.lastFailure({ stream: fx.stream, seq: 1, consumer: spec.durable }), /body is not JSON/, 'kept for the advisory copier')
})
