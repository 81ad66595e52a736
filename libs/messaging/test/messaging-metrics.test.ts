import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { cachedProbe } from '../src/messaging.metrics.js'

void t.test('a probe answers from its cache within the TTL and asks once for concurrent scrapes', async (t) => {
  let calls = 0
  const probe = cachedProbe(async () => {
    calls++
    await sleep(20)
    return calls * 10
  }, { ttlMs: 100 })
  t.same(await Promise.all([probe(), probe(), probe()]), [10, 10, 10])
  t.equal(await probe(), 10, 'cached')
  t.equal(calls, 1)
  await sleep(120)
  t.equal(await probe(), 20, 'asked again after the TTL')
})

void t.test('a slow probe fails in time instead of stalling the scrape', async (t) => {
  const probe = cachedProbe(() => sleep(500).then(() => 1), { timeoutMs: 50 })
  const started = performance.now()
  await t.rejects(probe(), { message: 'probe timed out after 50 ms' })
  t.ok(performance.now() - started < 300)
})

void t.test('a failed probe is not cached', async (t) => {
  let fail = true
  const probe = cachedProbe(() => (fail ? Promise.reject(new Error('server unreachable')) : Promise.resolve(7)))
  await t.rejects(probe(), { message: 'server unreachable' })
  fail = false
  t.equal(await probe(), 7)
})
