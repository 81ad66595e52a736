import t from 'tap'
import { main } from '@orderflow/cli'
import { eventually } from '@orderflow/testing/service'
import { checkConsistency } from './support/consistency.js'
import { startDuplicator } from './support/duplicator.js'
import { startPlatform } from './support/platform.js'
import { getOrder, placeOrder, stock, uniqueSku, waitUntilSettled } from './support/shop.js'

const p = await startPlatform(t)

t.test('every command and event delivered twice has one effect', async (t) => {
  const duplicator = startDuplicator(p)
  t.teardown(() => duplicator.stop())
  const sku = uniqueSku('twice')
  const scarce = uniqueSku('twice-scarce')
  const before = { [sku]: await stock(p, sku, 100), [scarce]: await stock(p, scarce, 3) }

  const orders = await Promise.all([
    ...Array.from({ length: 12 }, (_, i) => placeOrder(p, { sku, quantity: 2, email: `twice-${i}@example.com` })),
    ...Array.from({ length: 3 }, (_, i) => placeOrder(p, { sku, token: 'tok_decline', email: `declined-${i}@example.com` })),
    ...Array.from({ length: 5 }, (_, i) => placeOrder(p, { sku: scarce, quantity: 1, email: `scarce-${i}@example.com` })),
  ])
  await waitUntilSettled(p, orders, 90_000)
  await duplicator.stop()
  t.ok(duplicator.copies() > orders.length * 5, `duplicates were delivered (${duplicator.copies()} copies)`)

  const report = await checkConsistency(p, orders, before)
  t.same(report.violations, [], 'orders, stock and payments agree')
  t.same(report.statuses, { DELIVERED: 15, FAILED: 5 }, '12 + 3 delivered (the scarce SKU had 3), 3 declined and 2 out of stock')

  const captures = await p.tb.payment.orm.em
    .fork()
    .execute<{ order_id: string; n: string }[]>("select order_id, count(*) as n from payment_transactions where operation = 'CAPTURE' group by order_id")
  t.ok(captures.every((c) => Number(c.n) === 1), 'no order was charged twice, nor asked to be')

  for (const id of orders) {
    const steps = (await getOrder(p, id)).timeline.map((e) => e.type)
    t.equal(new Set(steps).size, steps.length, `order ${id}: each step once on the timeline`)
  }
  // Notifications: one mail per order and kind, however often the event arrived.
  await eventually(() => (p.smtp.mails.filter((m) => m.to[0]?.startsWith('twice-')).length >= 36 ? true : undefined), 'three mails for each of 12 orders')
  await new Promise((r) => setTimeout(r, 500))
  const perOrderAndKind = new Map<string, number>()
  for (const m of p.smtp.mails) {
    const key = `${m.to.join()} ${m.headers.get('subject')}`
    perOrderAndKind.set(key, (perOrderAndKind.get(key) ?? 0) + 1)
  }
  t.same([...perOrderAndKind.values()].filter((n) => n > 1), [], 'no mail sent twice')
})

// After the storm of duplicates: the operator's audit over the same three databases.
t.test('orderflow books reads the three databases and names the order whose books disagree', async (t) => {
  const env = { ORDER_DATABASE_URL: p.tb.order.url, INVENTORY_DATABASE_URL: p.tb.inventory.url, PAYMENT_DATABASE_URL: p.tb.payment.url }
  const books = async () => {
    const out: string[] = []
    const code = await main(['books', '--since', '1h'], env, (s) => out.push(s))
    return { code, out: out.join('\n') }
  }
  t.match(await books(), { code: 0, out: /^20 orders since .* \(DELIVERED 15, FAILED 5\)\nthe books agree$/ })

  // A delivered order whose capture is undone behind the saga's back.
  const payments = p.tb.payment.orm.em.fork()
  const [victim] = await payments.execute<{ order_id: string }[]>("select order_id from payments where status = 'CAPTURED' limit 1")
  await payments.execute("update payments set status = 'VOIDED' where order_id = ?", [victim!.order_id])
  const broken = await books()
  t.equal(broken.code, 1)
  t.match(broken.out, `1 broken rule:\n  order ${victim!.order_id} is DELIVERED but its payment is VOIDED`)
})
