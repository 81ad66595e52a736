import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ReserveStock } from '@orderflow/contracts'
import { command, handle, inventoryConsumers, inventoryTestbed, sku } from './testbed.js'

const tb = await inventoryTestbed(t)
const { reserve: reserver } = inventoryConsumers(tb)
const reserve = (orderId: string, items: { sku: string; quantity: number }[]) => handle(tb, reserver, [command(ReserveStock, orderId, { orderId, items })])
const reader = tb.auth(['inventory:read'])

async function verdicts(orderIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await tb.orm.em.fork().execute<{ status: string; n: string }[]>(
    'select status, count(*) as n from order_holds where order_id in (?) group by status',
    [[...orderIds]],
  )
  return new Map(rows.map((r) => [r.status, Number(r.n)]))
}

t.test('200 concurrent orders for the last 50 units: exactly 50 reserved, never oversold', async (t) => {
  const hot = sku('HOT')
  await tb.seed(hot, 50)
  const orderIds = Array.from({ length: 200 }, () => randomUUID())

  // Watches the SKU through the API while the storm runs; `available` must never go negative.
  const seen: number[] = []
  let storming = true
  const watcher = (async () => {
    while (storming) {
      const res = await tb.app.inject({ method: 'GET', url: `/v1/inventory/${hot}`, headers: reader })
      seen.push(res.json<{ available: number }>().available)
      await new Promise((r) => setTimeout(r, 5))
    }
  })()

  const started = performance.now()
  const results = await Promise.allSettled(orderIds.map((orderId) => reserve(orderId, [{ sku: hot, quantity: 1 }])))
  const elapsedMs = performance.now() - started
  storming = false
  await watcher
  t.comment(`200 reserve commands in ${elapsedMs.toFixed(0)} ms`)

  t.equal(results.filter((r) => r.status === 'rejected').length, 0, 'no handler failed (no deadlock, no constraint violation)')
  t.same(await tb.stock(hot), { onHand: 50, reserved: 50 })
  const byStatus = await verdicts(orderIds)
  t.equal(byStatus.get('RESERVED'), 50, 'exactly 50 orders reserved')
  t.equal(byStatus.get('REJECTED'), 150, '150 rejected')
  t.ok(seen.length > 0, `read available ${seen.length} times during the storm`)
  t.ok(
    seen.every((a) => a >= 0 && a <= 50),
    'available stayed within 0..50',
  )
  const [events] = await tb.orm.em.fork().execute<{ reserved: string; rejected: string }[]>(
    `select count(*) filter (where type = 'orderflow.inventory.reserved.v1') as reserved,
            count(*) filter (where type = 'orderflow.inventory.rejected.v1') as rejected from outbox where payload->>'subject' in (?)`,
    [orderIds],
  )
  t.same(events, { reserved: '50', rejected: '150' }, 'one verdict event per order')
})

t.test('orders naming the same SKUs in opposite orders neither deadlock nor oversell', async (t) => {
  const [x, y] = [sku('X'), sku('Y')]
  await tb.seed(x, 30)
  await tb.seed(y, 30)
  const orderIds = Array.from({ length: 80 }, () => randomUUID())
  const results = await Promise.allSettled(
    orderIds.map((orderId, i) => {
      const items = i % 2 === 0 ? [{ sku: x, quantity: 1 }, { sku: y, quantity: 1 }] : [{ sku: y, quantity: 1 }, { sku: x, quantity: 1 }]
      return reserve(orderId, items)
    }),
  )
  t.equal(results.filter((r) => r.status === 'rejected').length, 0, 'no handler failed')
  t.same(await tb.stock(x), { onHand: 30, reserved: 30 })
  t.same(await tb.stock(y), { onHand: 30, reserved: 30 })
  t.equal((await verdicts(orderIds)).get('RESERVED'), 30)
})

t.test('the CHECK constraint refuses a row that promises more than it has', async (t) => {
  const s = sku('CHK')
  await tb.seed(s, 5, 5)
  const em = tb.orm.em.fork()
  await t.rejects(em.execute('update stock set reserved = reserved + 1 where sku = ?', [s]), { message: /stock_reserved_within_on_hand/ })
  await t.rejects(em.execute('update stock set on_hand = on_hand - 1 where sku = ?', [s]), { message: /stock_reserved_within_on_hand/ })
  await t.rejects(em.execute('update stock set reserved = -1 where sku = ?', [s]), { message: /stock_reserved_within_on_hand/ })
  t.same(await tb.stock(s), { onHand: 5, reserved: 5 })
})
