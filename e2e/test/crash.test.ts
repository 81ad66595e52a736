import t from 'tap'
import { checkConsistency } from './support/consistency.js'
import { startPlatform, type ServiceName } from './support/platform.js'
import { placeOrder, stock, uniqueSku, waitUntilSettled } from './support/shop.js'

// The services a crash hurts most: the saga's owner (the order service), and the service whose stock can oversell.
const VICTIMS: readonly ServiceName[] = ['order', 'inventory']
const ORDERS = 500
/** How long every order may take to end once the killed service is back. */
const SETTLE_WITHIN_MS = 240_000

// Two runs of 500 orders through the whole saga take minutes on a 2-core machine.
t.setTimeout(900_000)
const p = await startPlatform(t, { processes: VICTIMS })

for (const victim of VICTIMS) {
  t.test(`SIGKILL of the ${victim} in the middle of ${ORDERS} orders loses nothing`, async (t) => {
    const plenty = uniqueSku(`crash-${victim}`)
    const scarce = uniqueSku(`crash-${victim}-scarce`)
    const before = { [plenty]: await stock(p, plenty, 10_000), [scarce]: await stock(p, scarce, 40) }
    const order = (i: number) => {
      if (i % 10 === 9) return { sku: plenty, token: 'tok_decline' }
      if (i % 5 === 0) return { sku: scarce }
      return { sku: plenty, quantity: 1 + (i % 3) }
    }

    const ids: string[] = []
    const placeBatch = async (from: number, to: number) => {
      for (let i = from; i < to; i += 25) {
        const batch = Array.from({ length: Math.min(25, to - i) }, (_, k) => placeOrder(p, order(i + k)))
        ids.push(...(await Promise.all(batch)))
      }
    }
    const started = Date.now()
    await placeBatch(0, ORDERS / 2)
    await p.process(victim).kill('SIGKILL')
    t.pass(`${victim} killed after ${ids.length} orders were placed (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    await placeBatch(ORDERS / 2, ORDERS)
    const restartedAt = Date.now()
    await p.process(victim).start()

    await waitUntilSettled(p, ids, SETTLE_WITHIN_MS)
    t.comment(`every order ended ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart`)
    const report = await checkConsistency(p, ids, before)
    t.same(report.violations, [], 'orders, stock and payments agree')
    t.equal(ids.length, ORDERS)
    t.equal(report.statuses.CANCELLED ?? 0, 0, 'nothing was cancelled')
    t.equal(Object.values(report.statuses).reduce((a, b) => a + b, 0), ORDERS, 'every order is accounted for')
    t.ok((report.statuses.FAILED ?? 0) >= ORDERS / 10, 'the declined ones failed')
  })
}
