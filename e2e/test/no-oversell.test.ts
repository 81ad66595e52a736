import t from 'tap'
import { checkConsistency } from './support/consistency.js'
import { startPlatform } from './support/platform.js'
import { placeOrder, stock, uniqueSku, waitUntilSettled } from './support/shop.js'

const p = await startPlatform(t)

t.test('200 concurrent orders for 50 units: exactly 50 confirm, stock ends at 0 and never reads below', async (t) => {
  const sku = uniqueSku('scarce')
  const before = { [sku]: await stock(p, sku, 50) }

  // Watch the stock row while the orders race for it.
  let lowestOnHand = Infinity
  let lowestAvailable = Infinity
  let watching = true
  const watcher = (async () => {
    while (watching) {
      const rows = await p.tb.inventory.orm.em.fork().execute<{ on_hand: number; reserved: number }[]>(`select on_hand, reserved from stock where sku = '${sku}'`)
      const row = rows[0]
      if (row) {
        lowestOnHand = Math.min(lowestOnHand, row.on_hand)
        lowestAvailable = Math.min(lowestAvailable, row.on_hand - row.reserved)
      }
      await new Promise((r) => setTimeout(r, 10))
    }
  })()

  const ids = await Promise.all(Array.from({ length: 200 }, () => placeOrder(p, { sku, quantity: 1 })))
  await waitUntilSettled(p, ids, 120_000)
  watching = false
  await watcher

  const report = await checkConsistency(p, ids, before)
  t.same(report.violations, [], 'orders, stock and payments agree')
  t.equal(report.statuses.DELIVERED, 50, 'exactly 50 orders went through')
  t.equal(report.statuses.FAILED, 150, 'the other 150 failed')
  const reasons = await p.tb.order.orm.em
    .fork()
    .execute<{ failure_reason: string; n: string }[]>("select failure_reason, count(*) as n from orders where status = 'FAILED' group by failure_reason")
  t.same(reasons.map((r) => [r.failure_reason, Number(r.n)]), [['OUT_OF_STOCK', 150]], 'all for want of stock')
  const [row] = await p.tb.inventory.orm.em.fork().execute<{ on_hand: number; reserved: number }[]>(`select on_hand, reserved from stock where sku = '${sku}'`)
  t.same(row, { on_hand: 0, reserved: 0 }, 'stock ends at 0')
  t.ok(lowestOnHand >= 0 && lowestAvailable >= 0, `never below 0 (lowest on hand ${lowestOnHand}, lowest available ${lowestAvailable})`)
})
