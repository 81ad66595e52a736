import { randomUUID } from 'node:crypto'
import t from 'tap'
import { CommitStock, OrderConfirmed, ReleaseStock, ReserveStock } from '@orderflow/contracts'
import { PermanentError } from '@orderflow/messaging'
import { batchOf } from '@orderflow/testing/service'
import { commitStockBatchHandler } from '../src/consumers/commit-stock.consumer.js'
import { releaseStockBatchHandler } from '../src/consumers/release-stock.consumer.js'
import { reserveStockBatchHandler } from '../src/consumers/reserve-stock.consumer.js'
import { inventoryMetrics } from '../src/inventory.metrics.js'
import { command, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const metrics = inventoryMetrics(tb.ctx.registry)
const reserve = reserveStockBatchHandler({ orm: tb.orm, metrics, ttlSeconds: 900 })
const commit = commitStockBatchHandler({ orm: tb.orm, metrics })
const release = releaseStockBatchHandler({ orm: tb.orm, metrics })

const reserveCmd = (orderId: string, items: { sku: string; quantity: number }[]) => command(ReserveStock, orderId, { orderId, items })
const types = async (orderId: string) => (await tb.events(orderId)).map((e) => e.type.replace(/^orderflow\.inventory\.|\.v1$/g, ''))
const inbox = async (ids: readonly string[]) =>
  (await tb.orm.em.fork().execute<unknown[]>(`select 1 from inbox where event_id in (${ids.map(() => '?').join(', ')})`, [...ids])).length

t.test('a batch of reserves for one SKU is decided order by order, as single commands would be', async (t) => {
  const s = sku('BATCH')
  await tb.seed(s, 10)
  const orders = [randomUUID(), randomUUID(), randomUUID()]
  const commands = orders.map((orderId) => reserveCmd(orderId, [{ sku: s, quantity: 4 }]))
  await reserve(batchOf([...commands, commands[0]!]))
  t.same(await tb.stock(s), { onHand: 10, reserved: 8 }, 'two orders fit, the repeated command counted once')
  t.same(await types(orders[0]!), ['reserved'])
  t.same(await types(orders[1]!), ['reserved'])
  t.same(await types(orders[2]!), ['rejected'])
  t.equal(await inbox(commands.map((c) => c.id)), 3)

  await commit(batchOf(orders.slice(0, 2).map((orderId) => command(CommitStock, orderId, { orderId }))))
  t.same(await tb.stock(s), { onHand: 2, reserved: 0 }, 'both committed in one transaction')
  await release(batchOf(orders.slice(0, 2).map((orderId) => command(ReleaseStock, orderId, { orderId, reason: 'returned' }))))
  t.same(await tb.stock(s), { onHand: 10, reserved: 0 }, 'and restocked')
})

t.test('one command that cannot be carried out fails the whole batch, which changes nothing', async (t) => {
  const s = sku('BATCH')
  await tb.seed(s, 10)
  const held = randomUUID()
  await reserve(batchOf([reserveCmd(held, [{ sku: s, quantity: 2 }]), reserveCmd(randomUUID(), [{ sku: s, quantity: 1 }])]))
  const neverReserved = randomUUID()
  const commits = [held, neverReserved].map((orderId) => command(CommitStock, orderId, { orderId }))
  await t.rejects(commit(batchOf(commits)), PermanentError)
  t.same(await tb.stock(s), { onHand: 10, reserved: 3 }, "the held order's commit rolled back with the batch")
  t.equal(await inbox(commits.map((c) => c.id)), 0, 'no inbox record: the single handler will see each again')

  const wrong = command(OrderConfirmed, held, { orderId: held })
  await t.rejects(reserve(batchOf([reserveCmd(randomUUID(), [{ sku: s, quantity: 1 }]), wrong])), PermanentError, 'an event of another type')
  t.same(await tb.stock(s), { onHand: 10, reserved: 3 })
})

t.test('batches locking overlapping SKUs in opposite orders do not deadlock', async (t) => {
  const [x, y] = [sku('X'), sku('Y')]
  await tb.seed(x, 1_000)
  await tb.seed(y, 1_000)
  for (let round = 0; round < 10; round++) {
    // Order by order, one batch takes x before y and the other y before x.
    const one = batchOf([reserveCmd(randomUUID(), [{ sku: x, quantity: 1 }]), reserveCmd(randomUUID(), [{ sku: y, quantity: 1 }])])
    const two = batchOf([reserveCmd(randomUUID(), [{ sku: y, quantity: 1 }]), reserveCmd(randomUUID(), [{ sku: x, quantity: 1 }])])
    await Promise.all([reserve(one), reserve(two)])
  }
  t.same(await tb.stock(x), { onHand: 1_000, reserved: 20 })
  t.same(await tb.stock(y), { onHand: 1_000, reserved: 20 })
})
