import { setTimeout as sleep } from 'node:timers/promises'
import { OrderCreated } from '@orderflow/contracts'
import t from 'tap'
import { createDeadLetters, createPublisher, PermanentError } from '@orderflow/messaging'
import { countIn, eventually, messagingFixture, orderCreated } from './fixtures/messaging.js'

void t.test('a handler that always fails ends in the DLQ after max_deliver, with its origin', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 3, backoffMs: [100] })
  let calls = 0
  await fx.run({
    spec,
    handler: () => {
      calls++
      return Promise.reject(new Error(`payment provider timeout #${calls}`))
    },
  })
  const event = orderCreated()
  const subject = fx.subject(OrderCreated)
  const ack = await createPublisher(fx.bus).publish(event, { subject, headers: { 'x-request-id': 'r-9' } })
  const [dl] = await eventually(async () => {
    const list = await fx.deadLetters.list()
    return list.length > 0 ? list : undefined
  })
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

void t.test('a message that fails its schema is terminated and dead-lettered at once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 5 })
  const handled: string[] = []
  await fx.run({ spec, handler: (e) => Promise.resolve(void handled.push(e.id)) })
  const command = `${fx.prefix}.inventory.cmd.reserve`
  const bad = { ...orderCreated(), data: { orderId: 'nope' } }
  await fx.bus.js.publish(command, JSON.stringify(bad))
  await fx.bus.js.publish(command, 'not json at all')
  await fx.bus.js.publish(command, JSON.stringify({ hello: 'world' }))
  const list = await eventually(async () => {
    const l = await fx.deadLetters.list()
    return l.length === 3 ? l : undefined
  })
  t.same(handled, [], 'the handler never sees them')
  t.ok(list.every((d) => d.reason === 'invalid' && d.origin.deliveries === 1 && d.origin.subject === command))
  t.match(list[0]?.error, /^contract violation: \/data/)
  t.match(list[1]?.error, /^body is not JSON/)
  t.match(list[2]?.error, /^contract violation: /)
  t.equal(new TextDecoder().decode(list[1]?.data), 'not json at all', 'the raw bytes are kept')
  t.equal(list[0]?.eventId, bad.id)
  t.equal(list[1]?.eventId, undefined)
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.num_redelivered, 0, 'no retry was spent on them')
  t.equal(info.ack_floor.stream_seq, 3)
})

void t.test('a PermanentError dead-letters at once', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 5 })
  let calls = 0
  await fx.run({
    spec,
    handler: () => {
      calls++
      return Promise.reject(new PermanentError('order does not exist', { cause: new Error('row not found') }))
    },
  })
  await createPublisher(fx.bus).publish(orderCreated(), { subject: fx.subject(OrderCreated) })
  const [dl] = await eventually(async () => {
    const l = await fx.deadLetters.list()
    return l.length > 0 ? l : undefined
  })
  t.match(dl, { reason: 'permanent', error: 'PermanentError: order does not exist', origin: { deliveries: 1 } })
  await sleep(200)
  t.equal(calls, 1)
})

void t.test('when the DLQ cannot be written the message is retried, not lost', async (t) => {
  const fx = await messagingFixture(t)
  const spec = await fx.consumer({ maxDeliver: 3, backoffMs: [100] })
  const unreachable = createDeadLetters(fx.bus, { stream: `${fx.stream}_NONE`, subjectPrefix: `${fx.prefix}_none` })
  await fx.run({ spec, deadLetters: unreachable, handler: () => Promise.resolve() })
  await fx.bus.js.publish(`${fx.prefix}.inventory.cmd.reserve`, 'garbage')
  await eventually(() => (fx.logs.filter((l) => l.msg === 'cannot write the dead letter; the message will be redelivered').length >= 3 ? true : undefined))
  const info = await fx.bus.jsm.consumers.info(fx.stream, spec.durable)
  t.equal(info.ack_floor.stream_seq, 0, 'never terminated')
  t.ok(info.num_redelivered >= 1)
  t.match(await fx.registry.metrics(), new RegExp(`consumer="${spec.durable}",outcome="retried"} 3`))
  t.match(unreachable.lastFailure({ stream: fx.stream, seq: 1, consumer: spec.durable }), /body is not JSON/, 'kept for the advisory copier')
})
