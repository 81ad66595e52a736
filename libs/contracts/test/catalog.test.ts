import { randomUUID } from 'node:crypto'
import t from 'tap'
import {
  assertEvent,
  catalog,
  checkEvent,
  ContractViolationError,
  isEventOf,
  makeEvent,
  OrderConfirmed,
  OrderCreated,
  Streams,
} from '@orderflow/contracts'

const orderId = randomUUID()
const created = () =>
  makeEvent(OrderCreated, {
    source: 'orderflow/test',
    subject: orderId,
    data: {
      orderId,
      customerId: 'c-1',
      email: 'ada@example.com',
      currency: 'EUR',
      items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1250 }],
      totalAmount: 2500,
    },
  })

t.test('makeEvent builds a valid CloudEvents 1.0 envelope', async (t) => {
  const event = created()
  t.match(event, { specversion: '1.0', type: 'orderflow.order.created.v1', subject: orderId, datacontenttype: 'application/json' })
  t.match(event.id, /^[0-9a-f-]{36}$/)
  const result = checkEvent(JSON.parse(JSON.stringify(event)))
  t.ok(result.ok)
  if (result.ok) t.equal(result.definition, OrderCreated)
})

t.test('an envelope with a missing or extra field is refused, naming it', async (t) => {
  const { id: _id, ...noId } = created()
  const missing = checkEvent(noId)
  t.notOk(missing.ok)
  if (!missing.ok) t.match(missing.issues, [{ message: /id/ }])
  const extra = checkEvent({ ...created(), extra: true })
  t.notOk(extra.ok)
})

t.test('data is checked against the schema of its type', async (t) => {
  const event = created()
  const bad = { ...event, data: { ...event.data, items: [{ sku: 'SKU-1', quantity: 0, unitPrice: 1 }] } }
  const result = checkEvent(bad)
  t.notOk(result.ok)
  if (!result.ok) t.match(result.issues, [{ path: '/data/items/0/quantity' }])
})

t.test('an unknown type cannot be consumed', async (t) => {
  const result = checkEvent({ ...created(), type: 'orderflow.order.exploded.v1' })
  t.notOk(result.ok)
  if (!result.ok) t.match(result.issues, [{ path: '/type', message: /unknown event type/ }])
  t.throws(() => assertEvent({ nonsense: true }), ContractViolationError)
})

t.test('isEventOf narrows by type', async (t) => {
  const { event } = assertEvent(created())
  t.ok(isEventOf(OrderCreated, event))
  t.notOk(isEventOf(OrderConfirmed, event))
})

t.test('every definition lives on a subject of its stream, with a unique type and subject', async (t) => {
  const subjects = new Set<string>()
  for (const d of catalog.values()) {
    const stream = Object.values(Streams).find((s) => s.name === d.stream)
    t.ok(stream, `${d.type} names a known stream`)
    const prefix = stream?.subjects[0]?.replace('>', '') ?? '?'
    t.ok(d.subject.startsWith(prefix), `${d.subject} is within ${stream?.name}`)
    t.notOk(subjects.has(d.subject), `${d.subject} is used once`)
    subjects.add(d.subject)
  }
})
