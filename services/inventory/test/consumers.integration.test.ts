import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, ReleaseStock, ReserveStock, type CloudEvent, type MessageDefinition } from '@orderflow/contracts'
import { createPublisher } from '@orderflow/messaging'
import { command, eventually, inventoryTestbed, sku } from './testbed.js'

// A short sweep interval: the expiry worker runs for real here.
const tb = await inventoryTestbed(t, { RESERVATION_SWEEP_INTERVAL_MS: '200', CONSUMER_CONCURRENCY: '8' })
await tb.startWorkers()
const publisher = createPublisher(tb.bus)
const stream = tb.topology.stream('INVENTORY')

const send = (def: MessageDefinition, e: CloudEvent) => publisher.publish(e, { subject: tb.topology.subject(def.subject) })

/** The inventory's events about an order as published on JetStream, in stream order. */
async function published(orderId: string): Promise<string[]> {
  const { state } = await tb.bus.jsm.streams.info(stream)
  const types: string[] = []
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await tb.bus.jsm.streams.getMessage(stream, { seq })
    if (!m?.subject.startsWith(tb.topology.subject('inventory.evt.'))) continue
    const e = m.json<CloudEvent>()
    if (e.subject === orderId) types.push(e.type.replace(/^orderflow\.inventory\.|\.v1$/g, ''))
  }
  return types
}
const until = (orderId: string, expected: string[]) =>
  eventually(async () => {
    const got = await published(orderId)
    return got.join() === expected.join() ? got : undefined
  }, `${orderId}: ${expected.join(', ')}`)

t.test('reserve, commit and release over JetStream, each answered on its subject', async (t) => {
  const s = sku('JS')
  await tb.seed(s, 10)
  const orderId = randomUUID()
  await send(ReserveStock, command(ReserveStock, orderId, { orderId, items: [{ sku: s, quantity: 4 }] }))
  await until(orderId, ['reserved'])
  await send(CommitStock, command(CommitStock, orderId, { orderId }))
  await until(orderId, ['reserved', 'committed'])
  t.same(await tb.stock(s), { onHand: 6, reserved: 0 })
  await send(ReleaseStock, command(ReleaseStock, orderId, { orderId, reason: 'cancelled by the customer' }))
  await until(orderId, ['reserved', 'committed', 'released'])
  t.same(await tb.stock(s), { onHand: 10, reserved: 0 }, 'restocked')
})

t.test('a command delivered twice (past the duplicate window) has one effect', async (t) => {
  const s = sku('JS')
  await tb.seed(s, 10)
  const orderId = randomUUID()
  const cmd = command(ReserveStock, orderId, { orderId, items: [{ sku: s, quantity: 3 }] })
  await send(ReserveStock, cmd)
  // A second copy with another Nats-Msg-Id, as a redelivery or a replay would arrive.
  await tb.bus.js.publish(tb.topology.subject(ReserveStock.subject), JSON.stringify(cmd), { msgID: randomUUID() })
  await until(orderId, ['reserved'])
  await eventually(async () => {
    const [row] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from inbox where event_id = ?', [cmd.id])
    return Number(row?.n) === 1 ? true : undefined
  }, 'the inbox row')
  await new Promise((r) => setTimeout(r, 300))
  t.same(await published(orderId), ['reserved'], 'one verdict')
  t.same(await tb.stock(s), { onHand: 10, reserved: 3 }, 'reserved once')
})

t.test('a storm through JetStream reserves exactly what there is', async (t) => {
  const s = sku('HOT')
  await tb.seed(s, 15)
  const orderIds = Array.from({ length: 60 }, () => randomUUID())
  await Promise.all(orderIds.map((orderId) => send(ReserveStock, command(ReserveStock, orderId, { orderId, items: [{ sku: s, quantity: 1 }] }))))
  const counts = await eventually(async () => {
    const rows = await tb.orm.em.fork().execute<{ status: string; n: string }[]>(
      'select status, count(*) as n from order_holds where order_id in (?) group by status',
      [orderIds],
    )
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
    return Object.values(byStatus).reduce((a, b) => a + b, 0) === 60 ? byStatus : undefined
  }, 'a verdict for every order')
  t.same(counts, { RESERVED: 15, REJECTED: 45 })
  t.same(await tb.stock(s), { onHand: 15, reserved: 15 })
})

t.test('an unanswered reservation expires and the saga is told', async (t) => {
  const s = sku('TTL')
  await tb.seed(s, 2)
  const orderId = randomUUID()
  await send(ReserveStock, command(ReserveStock, orderId, { orderId, items: [{ sku: s, quantity: 2 }] }))
  await until(orderId, ['reserved'])
  // As if the saga had gone quiet for the whole TTL.
  await tb.orm.em.fork().execute(`update order_holds set expires_at = now() where order_id = ?`, [orderId])
  await until(orderId, ['reserved', 'released'])
  t.same(await tb.stock(s), { onHand: 2, reserved: 0 })
})
