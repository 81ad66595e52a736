import t from 'tap'
import { DEFAULT_THRESHOLDS, highestSustainable, judgeRate, judgeRun, summarizeRate } from '@orderflow/bench'
import { latency, rateRun } from './support/run-fixture.js'

const judge = (run: Parameters<typeof judgeRun>[0], intake = false) => judgeRun(run, DEFAULT_THRESHOLDS, intake)

t.test('a run that keeps up is sustainable', async (t) => {
  t.same(judge(rateRun(100)), { sustainable: true, reasons: [] })
})

t.test('each way of falling behind is named', async (t) => {
  t.same(judge(rateRun(100, { endToEnd: latency(200, { p99: 1500 }) })).reasons, ['end-to-end p99 1.50 s > 1.00 s'])
  t.same(judge(rateRun(100, { failures: { http: { '503 SERVICE_UNAVAILABLE': 2 }, network: {}, saga: {}, incomplete: 0 } })).reasons, ['2 of 2000 orders failed'])
  t.same(judge(rateRun(100, { failures: { http: {}, network: { ECONNRESET: 1 }, saga: { 'failed:TIMEOUT': 1 }, incomplete: 1 } })).reasons, [
    '3 of 2000 orders failed',
  ])
  t.same(judge(rateRun(100, { drain: { drained: false, seconds: 60 } })).reasons, ['backlog not drained within 60 s'])
  t.same(judge(rateRun(100, { drain: { drained: true, seconds: 12 } })).reasons, ['backlog took 12.0 s to drain (> 5 s)'])
  t.same(judge(rateRun(100, { completedPerSecond: 60 })).reasons, ['completed 60.0/s of 100.0/s accepted'])
  t.same(judge(rateRun(100, { sendLag: latency(1, { p99: 250 }) })).reasons, ['generator behind schedule (send lag p99 250 ms)'])
  t.same(judge(rateRun(100, { sent: 0 })).reasons, ['no order was sent'])
})

t.test('intake mode holds HTTP latency to the budget, not the saga', async (t) => {
  t.ok(judge(rateRun(100, { endToEnd: latency(5000) }), true).sustainable)
  t.same(judge(rateRun(100, { http: latency(10, { p99: 2000 }) }), true).reasons, ['HTTP p99 2.00 s > 1.00 s'])
})

t.test('a repeated rate is sustainable when most runs were', async (t) => {
  const ok = { sustainable: true, reasons: [] }
  const slow = { sustainable: false, reasons: ['end-to-end p99 1.50 s > 1.00 s'] }
  t.same(judgeRate([ok, ok, slow]), { sustainable: true, reasons: slow.reasons })
  t.equal(judgeRate([ok, slow, slow]).sustainable, false)
  t.equal(judgeRate([ok, slow]).sustainable, false, 'a tie is not a majority')
  t.equal(judgeRate([]).sustainable, false)
})

t.test('the highest sustainable rate is the last before the first failure', async (t) => {
  const v = (sustainable: boolean) => ({ sustainable, reasons: [] })
  t.equal(highestSustainable([{ rate: 50, verdict: v(true) }, { rate: 100, verdict: v(true) }, { rate: 150, verdict: v(false) }]), 100)
  t.equal(highestSustainable([{ rate: 150, verdict: v(true) }, { rate: 50, verdict: v(true) }, { rate: 100, verdict: v(false) }]), 50, 'sorted by rate')
  t.equal(highestSustainable([{ rate: 50, verdict: v(false) }, { rate: 100, verdict: v(true) }]), null, 'a lucky pass above a failure does not count')
  t.equal(highestSustainable([]), null)
})

t.test('runs of a rate summarise to medians with their spread', async (t) => {
  const runs = [
    rateRun(100, { endToEnd: latency(200, { p99: 400 }) }),
    rateRun(100, { endToEnd: latency(300, { p99: 900 }), deadLetters: 1 }),
    rateRun(100, { endToEnd: latency(250, { p99: 500 }), acceptedPerSecond: 98 }),
  ]
  const s = summarizeRate(runs, judgeRate([{ sustainable: true, reasons: [] }]))
  t.equal(s.runs, 3)
  t.same(s.endToEnd?.p99, { median: 500, min: 400, max: 900 })
  t.same(s.endToEnd?.p50, { median: 250, min: 200, max: 300 })
  t.same(s.acceptedPerSecond, { median: 100, min: 98, max: 100 })
  t.same(s.deadLetters, { median: 0, min: 0, max: 1 })
  t.same(s.cores.order, { median: 0.2, min: 0.2, max: 0.2 })
  // 6 CPU s of platform work (the generator excluded) over 2000 orders.
  t.equal(s.cpuMsPerOrder.median, 3)
  t.throws(() => summarizeRate([], { sustainable: false, reasons: [] }), RangeError)
})
