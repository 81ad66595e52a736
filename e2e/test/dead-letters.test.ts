import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, ReserveStock, makeEvent, type MessageDefinition } from '@orderflow/contracts'
import { eventually } from '@orderflow/testing/service'
import { checkConsistency } from './support/consistency.js'
import { startPlatform } from './support/platform.js'
import { placeOrder, stock, uniqueSku, waitForStatus } from './support/shop.js'

// Poison messages on a command subject, seen and handled through the operators' API on the
// order service, which lists every service's dead letters.
const p = await startPlatform(t)
const ops = p.tb.order
const opsAuth = ops.auth(['ops:dlq'])

interface DeadLetter {
  seq: number
  reason: string
  error: string
  eventId: string | null
  origin: { subject: string; stream: string; seq: number; consumer: string; deliveries: number }
}

const deadLetters = async (): Promise<DeadLetter[]> => {
  const res = await ops.app.inject({ method: 'GET', url: '/v1/dead-letters?limit=1000', headers: opsAuth })
  return res.json<{ items: DeadLetter[] }>().items
}
const deadLetterFrom = (subject: string, match: (d: DeadLetter) => boolean = () => true) =>
  eventually(async () => (await deadLetters()).find((d) => d.origin.subject === subject && match(d)), `a dead letter from ${subject}`)

const holdOf = async (orderId: string) => {
  const rows = await p.tb.inventory.orm.em.fork().execute<{ status: string }[]>(`select status from order_holds where order_id = '${orderId}'`)
  return rows[0]?.status
}
const onHand = async (sku: string) => {
  const rows = await p.tb.inventory.orm.em.fork().execute<{ on_hand: number; reserved: number }[]>(`select on_hand, reserved from stock where sku = '${sku}'`)
  return rows[0]
}
const command = <D extends MessageDefinition>(def: D, orderId: string, data: unknown) =>
  makeEvent(def, { source: 'orderflow/e2e', subject: orderId, data })

t.test('a malformed command lands in the DLQ at once, with its origin, and can be purged', async (t) => {
  const sku = uniqueSku('poison')
  const before = { [sku]: await stock(p, sku, 5) }
  const subject = p.topology.subject(ReserveStock.subject)
  await p.tb.order.bus.js.publish(subject, '{"specversion":"1.0","id":', { msgID: randomUUID() })

  const letter = await deadLetterFrom(subject)
  t.match(letter.origin, { subject, stream: p.topology.stream('INVENTORY'), consumer: 'inventory-reserve', deliveries: 1 }, 'where it came from')
  t.match(letter.error, /json|parse|envelope/i, 'and why it was refused')

  const shown = await ops.app.inject({ method: 'GET', url: `/v1/dead-letters/${letter.seq}`, headers: opsAuth })
  t.equal(shown.statusCode, 200)
  t.match(shown.json(), { seq: letter.seq, encoding: 'base64' }, 'the raw body is kept as it came')

  const purged = await ops.app.inject({ method: 'DELETE', url: `/v1/dead-letters/${letter.seq}`, headers: opsAuth })
  t.equal(purged.statusCode, 204)
  t.notOk((await deadLetters()).some((d) => d.seq === letter.seq), 'gone after the purge')

  // The platform carries on: a real order on the same SKU still goes through.
  const id = await placeOrder(p, { sku })
  await waitForStatus(p, id, ['DELIVERED'])
  t.same((await checkConsistency(p, [id], before)).violations, [])
})

t.test('a command that cannot succeed yet is dead-lettered; once the cause is fixed a replay processes it', async (t) => {
  const sku = uniqueSku('early-commit')
  await stock(p, sku, 10)
  const orderId = randomUUID()
  // A commit for an order whose stock was never reserved: inventory refuses it for good.
  const commit = command(CommitStock, orderId, { orderId })
  const subject = p.topology.subject(CommitStock.subject)
  await p.tb.order.bus.js.publish(subject, JSON.stringify(commit), { msgID: commit.id })
  const letter = await deadLetterFrom(subject, (d) => d.eventId === commit.id)
  t.match(letter, { eventId: commit.id, origin: { consumer: 'inventory-commit' } })
  t.match(letter.error, /no reserved stock/)
  t.equal(await holdOf(orderId), undefined, 'nothing happened')

  // The cause, fixed: the reservation the commit needed arrives.
  const reserve = command(ReserveStock, orderId, { orderId, items: [{ sku, quantity: 4 }] })
  await p.tb.order.bus.js.publish(p.topology.subject(ReserveStock.subject), JSON.stringify(reserve), { msgID: reserve.id })
  await eventually(async () => ((await holdOf(orderId)) === 'RESERVED' ? true : undefined), 'the reservation')

  const replay = await ops.app.inject({ method: 'POST', url: `/v1/dead-letters/${letter.seq}/replay`, headers: opsAuth })
  t.equal(replay.statusCode, 202)
  t.match(replay.json(), { subject, eventId: commit.id }, 'to the original subject with the original event id')
  await eventually(async () => ((await holdOf(orderId)) === 'COMMITTED' ? true : undefined), 'the replayed commit')
  t.same(await onHand(sku), { on_hand: 6, reserved: 0 }, 'four units committed, once')
  t.notOk((await deadLetters()).some((d) => d.seq === letter.seq), 'the replayed letter left the DLQ')

  const unknown = await ops.app.inject({ method: 'POST', url: '/v1/dead-letters/999999/replay', headers: opsAuth })
  t.equal(unknown.statusCode, 404)
  t.match(unknown.json(), { code: 'DEAD_LETTER_NOT_FOUND' })
})
