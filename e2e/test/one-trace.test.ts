import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { eventually } from '@orderflow/testing/service'
import { jsonLines, repeatedKeys } from './support/log-lines.js'
import { OtlpSpanKind, startOtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js'
import { SERVICES, startPlatform, type ServiceName } from './support/platform.js'
import { auth, stock, uniqueSku, waitForStatus } from './support/shop.js'

// Every service as its own process, as in production, each exporting its spans over OTLP/HTTP to
// a receiver the test runs (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): the spans carry the service that
// made them (`service.name`), and the trace can only hold together through what crosses the
// wire — the HTTP request, the NATS headers, the rows a service keeps for later work.
const receiver = await startOtlpReceiver(t)
const names = Object.keys(SERVICES) as ServiceName[]
const traced = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, LOG_LEVEL: 'debug' }
const p = await startPlatform(t, { processes: names, env: Object.fromEntries(names.map((n) => [n, traced])) })

const K = OtlpSpanKind
const KIND_NAMES: Record<number, string> = { [K.SERVER]: 'SERVER', [K.CLIENT]: 'CLIENT', [K.PRODUCER]: 'PRODUCER', [K.CONSUMER]: 'CONSUMER', [K.INTERNAL]: 'INTERNAL' }
/** A span as the assertions read it: service, kind and name, the namespace taken out of subjects. */
const label = (s: ReceivedSpan) => `${s.service} ${KIND_NAMES[s.kind] ?? s.kind} ${s.name.replace(`${p.namespace}.`, '')}`
const subject = (s: ReceivedSpan) => String(s.attributes['messaging.destination.name'] ?? '').replace(`${p.namespace}.`, '')

// A delivered order: 14 messages published, 17 deliveries (docs/architecture.md), as `<service> <subject>`.
const PUBLISHED = [
  'fulfillment fulfillment.evt.delivered',
  'fulfillment fulfillment.evt.picking',
  'fulfillment fulfillment.evt.shipped',
  'inventory inventory.evt.committed',
  'inventory inventory.evt.reserved',
  'order fulfillment.cmd.create',
  'order inventory.cmd.commit',
  'order inventory.cmd.reserve',
  'order order.evt.created',
  'order order.evt.saga.confirmed',
  'order payment.cmd.authorize',
  'order payment.cmd.capture',
  'payment payment.evt.authorized',
  'payment payment.evt.captured',
]
const DELIVERED = [
  'fulfillment fulfillment.cmd.create',
  'inventory inventory.cmd.commit',
  'inventory inventory.cmd.reserve',
  'notification fulfillment.evt.delivered',
  'notification fulfillment.evt.picking',
  'notification fulfillment.evt.shipped',
  'notification order.evt.created',
  'notification order.evt.saga.confirmed',
  'order fulfillment.evt.delivered',
  'order fulfillment.evt.picking',
  'order fulfillment.evt.shipped',
  'order inventory.evt.committed',
  'order inventory.evt.reserved',
  'order payment.evt.authorized',
  'order payment.evt.captured',
  'payment payment.cmd.authorize',
  'payment payment.cmd.capture',
]
/** The distinct hops of one kind among `spans`, as `<service> <subject>`. */
const hops = (spans: readonly ReceivedSpan[], kind: number) => [...new Set(spans.filter((s) => s.kind === kind).map((s) => `${s.service} ${subject(s)}`))].sort()

t.test('one order is one trace, from the POST through every service to the mails sent', async (t) => {
  const sku = uniqueSku('trace')
  await stock(p, sku, 5)
  const requestId = `trace-${randomUUID()}`
  const res = await fetch(`http://127.0.0.1:${p.process('order').port}/v1/orders`, {
    method: 'POST',
    headers: { ...auth(p), 'content-type': 'application/json', 'idempotency-key': randomUUID(), 'x-request-id': requestId },
    body: JSON.stringify({
      customerId: 'c-trace',
      email: 'traced@example.com',
      currency: 'EUR',
      items: [{ sku, quantity: 1 }],
      shippingAddress: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
      payment: { method: 'card', token: 'tok_visa' },
    }),
  })
  t.equal(res.status, 202, 'the order is accepted')
  const { id } = (await res.json()) as { id: string }
  await waitForStatus(p, id, ['DELIVERED'], 30_000)
  await eventually(() => (p.smtp.mails.filter((m) => m.to.includes('traced@example.com')).length >= 3 ? true : undefined), 'three mails sent')

  // Each process sends its spans in batches, every 5 s: wait until the trace is whole (every hop
  // and mail there, no parent missing), or give up after a while and let the assertions say what is not.
  const about = (s: ReceivedSpan) => s.attributes['cloudevents.event_subject'] === id || s.attributes['orderflow.order.id'] === id
  const traceOf = () => {
    const ids = new Set(receiver.spans.filter(about).map((s) => s.traceId))
    return receiver.spans.filter((s) => ids.has(s.traceId))
  }
  const whole = (all: readonly ReceivedSpan[]) => {
    const known = new Set(all.map((s) => s.spanId))
    const complete = hops(all, K.PRODUCER).length >= PUBLISHED.length && hops(all, K.CONSUMER).length >= DELIVERED.length
    return complete && all.filter((s) => s.name === 'send mail').length >= 3 && all.every((s) => s.parentSpanId === '' || known.has(s.parentSpanId))
  }
  for (const deadline = Date.now() + 30_000; !whole(traceOf()) && Date.now() < deadline; ) await sleep(250)
  const spans = traceOf()

  const traceIds = [...new Set(receiver.spans.filter(about).map((s) => s.traceId))]
  t.equal(traceIds.length, 1, `every span about the order is in one trace (${traceIds.join(', ')})`)
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const roots = spans.filter((s) => s.parentSpanId === '')
  t.same(roots.map(label), ['order SERVER POST /v1/orders'], 'its root is the POST, in the order service')
  t.same(
    spans.filter((s) => s.parentSpanId !== '' && !byId.has(s.parentSpanId)).map(label),
    [],
    'no orphan: every other span has its parent in the trace',
  )

  // Each consumer span is a child of the producer span of the message it handled.
  const producers = spans.filter((s) => s.kind === K.PRODUCER)
  const consumers = spans.filter((s) => s.kind === K.CONSUMER)
  for (const c of consumers) {
    const parent = byId.get(c.parentSpanId)
    t.ok(
      parent?.kind === K.PRODUCER && parent.attributes['messaging.message.id'] === c.attributes['messaging.message.id'],
      `${label(c)} is a child of its message's producer span (${parent ? label(parent) : 'none'})`,
    )
  }
  for (const s of [...producers, ...consumers]) {
    t.match(s.attributes, { 'messaging.system': 'nats', 'messaging.destination.name': String, 'messaging.operation.type': s.kind === K.PRODUCER ? 'send' : 'process' }, `${label(s)}: messaging attributes`)
  }

  // Every hop, in the service that made it.
  t.same(hops(spans, K.PRODUCER), PUBLISHED, 'every message published, by its service')
  t.same(hops(spans, K.CONSUMER), DELIVERED, 'every delivery, in the service that handled it')

  // The path from the last mail back to the POST crosses every service.
  const mails = spans.filter((s) => s.name === 'send mail')
  t.same(mails.map((m) => `${m.service} ${KIND_NAMES[m.kind]} ${String(m.attributes['orderflow.notification.status'])}`), Array(3).fill('notification CLIENT SENT'))
  const delivered = mails.find((m) => byId.get(m.parentSpanId)?.attributes['messaging.destination.name'] === p.topology.subject('fulfillment.evt.delivered'))
  const path: string[] = []
  for (let s = delivered; s; s = byId.get(s.parentSpanId)) path.unshift(label(s))
  t.same(
    path,
    [
      'order SERVER POST /v1/orders',
      'order PRODUCER publish inventory.cmd.reserve',
      'inventory CONSUMER process inventory.cmd.reserve',
      'inventory PRODUCER publish inventory.evt.reserved',
      'order CONSUMER process inventory.evt.reserved',
      'order PRODUCER publish payment.cmd.authorize',
      'payment CONSUMER process payment.cmd.authorize',
      'payment PRODUCER publish payment.evt.authorized',
      'order CONSUMER process payment.evt.authorized',
      'order PRODUCER publish fulfillment.cmd.create',
      'fulfillment CONSUMER process fulfillment.cmd.create',
      'fulfillment PRODUCER publish fulfillment.evt.delivered',
      'notification CONSUMER process fulfillment.evt.delivered',
      'notification CLIENT send mail',
    ],
    'the delivered mail descends from the POST through every service',
  )

  // The services' log lines: one JSON object each, no key twice; every line naming the order
  // carries its trace.
  const [traceId] = traceIds
  for (const name of names) {
    const lines = jsonLines(p.process(name).output())
    t.ok(lines.length > 0, `${name} logged`)
    t.same(
      lines.filter((l) => repeatedKeys(l.raw).length > 0).map((l) => l.raw),
      [],
      `${name}: no line repeats a key`,
    )
    const aboutOrder = lines.filter((l) => l.fields.order_id === id)
    t.same(
      aboutOrder.filter((l) => l.fields.trace_id !== traceId).map((l) => l.raw),
      [],
      `${name}: the lines about the order (${aboutOrder.length}) carry its trace id`,
    )
  }
  const outcomes = jsonLines(p.process('order').output()).filter((l) => l.fields.order_id === id && l.fields.msg === 'saga reached an outcome')
  t.ok(outcomes.length > 0, "the order service's outcome lines are among them")
  const request = jsonLines(p.process('order').output()).find((l) => l.fields.reqId === requestId && l.fields.msg === 'request completed')
  t.equal(request?.fields.trace_id, traceId, "the request's own line too")
})
