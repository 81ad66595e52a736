import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import { runOpenSchedule } from '@orderflow/bench'

/** A server that answers every request after `delayMs`: a system slower than the arrival rate. */
async function slowServer(t: Test, delayMs: number): Promise<string> {
  const server = createServer((_req, res) => {
    setTimeout(() => res.end('ok'), delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('sends on schedule while the answers are slower than the arrivals', async (t) => {
  const url = await slowServer(t, 1_000)
  const pool = new Pool(url, { connections: 100 })
  t.teardown(() => pool.close())
  const answeredAt: number[] = []
  const sentAt: number[] = []
  const answers: Promise<void>[] = []
  const outcome = await runOpenSchedule({
    ratePerSecond: 100,
    durationMs: 500,
    send: (a) => {
      sentAt.push(a.sentAt)
      answers.push(pool.request({ path: '/', method: 'GET' }).then(async (res) => {
        await res.body.text()
        answeredAt.push(performance.now())
      }))
    },
  })
  const finishedAt = performance.now()
  t.equal(outcome.sent, 50, 'rate × duration requests')
  t.equal(answeredAt.length, 0, 'the schedule ended before the first answer came: nothing waited for one')
  // Even spacing from the start: the 50th request left about 490 ms after the first.
  const span = (sentAt.at(-1) ?? 0) - (sentAt[0] ?? 0)
  t.ok(span > 470 && span < 560, `span of sends ${span.toFixed(0)} ms`)
  t.ok(finishedAt - outcome.startedAt < 600, 'the schedule took its duration, not duration + answers')
  // Waiting for an answer would have made some send at least 1 s late; a busy machine adds far less.
  t.ok(Math.max(...outcome.lagsMs) < 300, `max send lag ${Math.max(...outcome.lagsMs).toFixed(1)} ms`)
  await Promise.all(answers)
  t.equal(answeredAt.length, 50)
})

t.test('after a stall it sends everything that came due, keeping the due times', async (t) => {
  const arrivals: { index: number; dueAt: number; sentAt: number }[] = []
  const outcome = await runOpenSchedule({
    ratePerSecond: 200,
    durationMs: 300,
    send: (a) => {
      arrivals.push(a)
      if (a.index === 5) {
        // Block the event loop for 100 ms, as a garbage collection or a busy machine would.
        const until = performance.now() + 100
        while (performance.now() < until);
      }
    },
  })
  t.equal(outcome.sent, 60)
  t.same(arrivals.map((a) => a.index), Array.from({ length: 60 }, (_, i) => i), 'none skipped, in order')
  for (const a of arrivals) t.ok(Math.abs(a.dueAt - (outcome.startedAt + a.index * 5)) < 1e-6, `due time of ${a.index} is from the start`)
  // Arrivals 6–20 came due during the stall (30–100 ms after the start; it ran from ≥ 25 to
  // ≥ 125 ms): they leave in one burst right after it, each at least as late as the stall made it.
  const stalled = arrivals.slice(6, 21)
  const stallEnd = (arrivals[5]?.sentAt ?? 0) + 100
  t.ok(stalled.every((a) => a.sentAt >= stallEnd), 'none left during the stall')
  const burst = Math.max(...stalled.map((a) => a.sentAt)) - Math.min(...stalled.map((a) => a.sentAt))
  t.ok(burst < 50, `all at once after it (within ${burst.toFixed(1)} ms)`)
  t.ok(outcome.lagsMs.length === 60)
})

t.test('an abort ends the schedule early; a bad rate is refused', async (t) => {
  const abort = new AbortController()
  setTimeout(() => abort.abort(), 100)
  const outcome = await runOpenSchedule({ ratePerSecond: 100, durationMs: 5_000, send: () => {}, signal: abort.signal })
  t.ok(outcome.sent >= 5 && outcome.sent <= 20, `sent ${outcome.sent} before the abort`)
  await t.rejects(runOpenSchedule({ ratePerSecond: 0, durationMs: 100, send: () => {} }), RangeError)
})
