import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, OrderConfirmed, ReleaseStock, ReserveStock } from '@orderflow/contracts'
import { PermanentError } from '@orderflow/messaging'
import { command, handle, inventoryConsumers, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const { reserve: reserver, release: releaser, commit: committer } = inventoryConsumers(tb)

const reserveCmd = (orderId: string, items: { sku: string; quantity: number }[]) => command(ReserveStock, orderId, { orderId, items })
const releaseCmd = (orderId: string) => command(ReleaseStock, orderId, { orderId, reason: 'payment declined' })
const commitCmd = (orderId: string) => command(CommitStock, orderId, { orderId })
const reserve = (cmd: ReturnType<typeof reserveCmd>, deliveryCount = 1) => handle(tb, reserver, [cmd], deliveryCount)
const release = (cmd: ReturnType<typeof releaseCmd>, deliveryCount = 1) => handle(tb, releaser, [cmd], deliveryCount)
const commit = (cmd: ReturnType<typeof commitCmd>, deliveryCount = 1) => handle(tb, committer, [cmd], deliveryCount)
const types = async (orderId: string) => (await tb.events(orderId)).map((e) => e.type.replace(/^orderflow\.inventory\.|\.v1$/g, ''))

t.test('reserve holds every line and says so', async (t) => {
  const [a, b] = [sku('A'), sku('B')]
  await tb.seed(a, 10)
  await tb.seed(b, 3)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: b, quantity: 3 }, { sku: a, quantity: 4 }]))
  t.same(await tb.stock(a), { onHand: 10, reserved: 4 })
  t.same(await tb.stock(b), { onHand: 3, reserved: 3 })
  const events = await tb.events(orderId)
  t.equal(events.length, 1)
  t.match(events[0], { type: 'orderflow.inventory.reserved.v1', data: { orderId, items: [{ sku: a, quantity: 4 }, { sku: b, quantity: 3 }] } })
  t.equal(await tb.hold(orderId), 'RESERVED')
})

t.test('repeated SKUs in one order are reserved as one line', async (t) => {
  const a = sku('A')
  await tb.seed(a, 5)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 2 }, { sku: a, quantity: 3 }]))
  t.same(await tb.stock(a), { onHand: 5, reserved: 5 })
})

t.test('multi-line is all or nothing: one short line rejects the order and holds nothing', async (t) => {
  const [a, b, c] = [sku('A'), sku('B'), sku('C')]
  await tb.seed(a, 10)
  await tb.seed(b, 1)
  await tb.seed(c, 10)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 2 }, { sku: b, quantity: 2 }, { sku: c, quantity: 2 }]))
  for (const s of [a, b, c]) t.equal((await tb.stock(s))?.reserved, 0, `${s} untouched`)
  const [event] = await tb.events(orderId)
  t.match(event, { type: 'orderflow.inventory.rejected.v1', data: { orderId, reason: 'OUT_OF_STOCK', unavailable: [{ sku: b, requested: 2, available: 1 }] } })
  t.equal(await tb.hold(orderId), 'REJECTED')
  const [lines] = await tb.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from reservations where order_id = ?', [orderId])
  t.equal(Number(lines?.n), 0, 'no reservation rows')
})

t.test('an unknown SKU rejects with UNKNOWN_SKU', async (t) => {
  const a = sku('A')
  await tb.seed(a, 10)
  const orderId = randomUUID()
  const ghost = sku('GHOST')
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 1 }, { sku: ghost, quantity: 1 }]))
  t.match((await tb.events(orderId))[0]?.data, { reason: 'UNKNOWN_SKU', unavailable: [{ sku: ghost, requested: 1, available: 0 }] })
  t.equal((await tb.stock(a))?.reserved, 0)
})

t.test('a reserve delivered twice, or sent again with a new id, reserves once', async (t) => {
  const a = sku('A')
  await tb.seed(a, 10)
  const orderId = randomUUID()
  const cmd = reserveCmd(orderId, [{ sku: a, quantity: 4 }])
  await reserve(cmd)
  await reserve(cmd, 2)
  t.same(await types(orderId), ['reserved'], 'the inbox drops the redelivery silently')
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 4 }]))
  t.same(await tb.stock(a), { onHand: 10, reserved: 4 }, 'a retried command does not reserve twice')
  t.same(await types(orderId), ['reserved', 'reserved'], 'but the verdict is repeated for the saga')
})

t.test('a rejected order stays rejected when the command is retried after a restock', async (t) => {
  const a = sku('A')
  await tb.seed(a, 1)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 2 }]))
  await tb.seed(a, 10)
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 2 }]))
  t.same(await types(orderId), ['rejected', 'rejected'])
  const [, second] = await tb.events(orderId)
  t.match(second?.data, { reason: 'OUT_OF_STOCK', unavailable: [{ sku: a, requested: 2, available: 1 }] }, 'the first verdict, word for word')
  t.equal((await tb.stock(a))?.reserved, 0)
})

t.test('release gives reserved stock back, once, and always answers', async (t) => {
  const a = sku('A')
  await tb.seed(a, 10)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 6 }]))
  const cmd = releaseCmd(orderId)
  await release(cmd)
  await release(cmd, 2)
  t.same(await tb.stock(a), { onHand: 10, reserved: 0 })
  await release(releaseCmd(orderId))
  t.same(await tb.stock(a), { onHand: 10, reserved: 0 }, 'a second release command gives nothing back twice')
  t.same(await types(orderId), ['reserved', 'released', 'released'])
  t.equal(await tb.hold(orderId), 'RELEASED')
})

t.test('release of an order with nothing held still answers, and a late reserve then holds nothing', async (t) => {
  const a = sku('A')
  await tb.seed(a, 10)
  const orderId = randomUUID()
  await release(releaseCmd(orderId))
  t.same(await types(orderId), ['released'])
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 1 }]))
  t.equal((await tb.stock(a))?.reserved, 0, 'the reserve that the release overtook reserves nothing')
  t.same(await types(orderId), ['released'], 'and says nothing: the saga has moved on')

  const rejected = randomUUID()
  await reserve(reserveCmd(rejected, [{ sku: a, quantity: 99 }]))
  await release(releaseCmd(rejected))
  t.same(await types(rejected), ['rejected', 'released'])
  t.equal(await tb.hold(rejected), 'REJECTED')
})

t.test('commit takes reserved stock off the books, once', async (t) => {
  const a = sku('A')
  await tb.seed(a, 10)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 3 }]))
  const cmd = commitCmd(orderId)
  await commit(cmd)
  await commit(cmd, 2)
  await commit(commitCmd(orderId))
  t.same(await tb.stock(a), { onHand: 7, reserved: 0 })
  t.same(await types(orderId), ['reserved', 'committed', 'committed'])
  t.equal(await tb.hold(orderId), 'COMMITTED')
})

t.test('release after commit restocks on hand (a confirmed order cancelled)', async (t) => {
  const a = sku('A')
  await tb.seed(a, 10)
  const orderId = randomUUID()
  await reserve(reserveCmd(orderId, [{ sku: a, quantity: 3 }]))
  await commit(commitCmd(orderId))
  await release(releaseCmd(orderId))
  await release(releaseCmd(orderId))
  t.same(await tb.stock(a), { onHand: 10, reserved: 0 })
  t.same(await types(orderId), ['reserved', 'committed', 'released', 'released'])
})

t.test('commit of an order holding nothing is permanent and leaves no inbox row', async (t) => {
  const unknown = commitCmd(randomUUID())
  await t.rejects(commit(unknown), PermanentError)
  const a = sku('A')
  await tb.seed(a, 10)
  const released = randomUUID()
  await reserve(reserveCmd(released, [{ sku: a, quantity: 1 }]))
  await release(releaseCmd(released))
  await t.rejects(commit(commitCmd(released)), { name: 'PermanentError', message: /RELEASED/ })
  const rows = await tb.orm.em.fork().execute('select 1 from inbox where event_id = ?', [unknown.id])
  t.equal(rows.length, 0, 'a replay after the cause is fixed will run the commit')
})

t.test('a message of another type on a command subject is not accepted (the runner dead-letters it)', async (t) => {
  const orderId = randomUUID()
  const stray = command(OrderConfirmed, orderId, { orderId })
  t.notOk(reserver.accepts(stray))
  t.notOk(releaser.accepts(stray))
  t.notOk(committer.accepts(stray))
  t.ok(reserver.accepts(reserveCmd(orderId, [{ sku: 'A', quantity: 1 }])))
  t.ok(releaser.accepts(releaseCmd(orderId)))
  t.ok(committer.accepts(commitCmd(orderId)))
})

t.test('the outcome counter counts verdicts, not repeats', async (t) => {
  const metric = await tb.ctx.registry.getSingleMetricAsString('inventory_reservations_total')
  t.match(metric, /inventory_reservations_total\{outcome="reserved"\} 7\b/)
  t.match(metric, /inventory_reservations_total\{outcome="rejected"\} 4\b/)
  t.match(metric, /inventory_reservations_total\{outcome="released"\} 3\b/)
  t.match(metric, /inventory_reservations_total\{outcome="committed"\} 2\b/)
})
