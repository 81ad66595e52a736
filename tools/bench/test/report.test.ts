import t from 'tap'
import { judgeRate, latencyChart, mergeReport, renderSection, sectionKey, summarizeRate, type BenchResult, type RateRun } from '@orderflow/bench'
import { DEFAULT_THRESHOLDS } from '@orderflow/bench'
import { latency, rateRun } from './support/run-fixture.js'
import { NOT_LOADED } from '@orderflow/bench'

const ok = { sustainable: true, reasons: [] }

function result(runs: RateRun[][], over: Partial<BenchResult> = {}): BenchResult {
  const summaries = runs.map((r) => summarizeRate(r, judgeRate(r.map((x) => (x.endToEnd && x.endToEnd.p99 > 1000 ? { sustainable: false, reasons: ['end-to-end p99 2.00 s > 1.00 s'] } : ok)))))
  return {
    version: 1,
    id: '2026-01-01T00-00-00-000Z',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:05:00.000Z',
    machine: { cpuModel: 'Test CPU @ 2.0GHz', cores: 2, memoryGb: 24, kernel: 'Linux 6.1', node: 'v24.0.0', loadAverage: [1.5, 1.25, 0.5] },
    database: { server_version: '15.14 (Debian 15.14-0+deb12u1)', autovacuum: 'off', fsync: 'on' },
    settings: { mode: 'step', intake: false, rates: [50, 100], warmupSeconds: 5, durationSeconds: 20, runs: runs[0]?.length ?? 1, drainTimeoutSeconds: 60, skus: 100, connections: 256, vacuum: true, thresholds: DEFAULT_THRESHOLDS },
    summaries,
    highestSustainable: 50,
    services: ['order', 'orchestrator'],
    stoppedEarly: null,
    runs: runs.flat(),
    ...over,
  }
}

t.test('a step run renders the machine, settings, verdict, table and CPU by process', async (t) => {
  const r = result([[rateRun(50)], [rateRun(100, { endToEnd: latency(300, { p99: 2000 }), failures: { http: { '503 SERVICE_UNAVAILABLE': 2 }, network: {}, saga: {}, incomplete: 0 } })]], {
    statements: 'pg_stat_statements (track top) in orderflow_order, orderflow_payment',
  })
  const md = renderSection(r, { command: 'make bench', chartFile: 'benchmarks-latency.svg' })
  t.match(md, /^## Step run: the highest sustainable rate \(end to end\)/)
  t.match(md, 'Test CPU @ 2.0GHz, 2 cores, 24 GiB')
  t.match(md, 'Load average at start 1.50 / 1.25 / 0.50')
  t.match(md, '`make bench`')
  t.match(md, 'PostgreSQL 15.14 (autovacuum off, fsync on).')
  t.match(md, '`VACUUM (ANALYZE)` of the platform databases before each run; services running: order, orchestrator.')
  t.match(md, '**Highest sustainable rate: 50 orders/s** — at 100/s: end-to-end p99 2.00 s > 1.00 s.')
  t.match(md, '| 50 | 50.0 | 50.0 | 10 / 10 / 10 / 10 | 200 / 200 / 200 / 200 | 0 | 0 | 4 / 3 | 0.5 | 6.0 | yes |')
  t.match(md, '| 100 | 100.0 | 100.0 | 10 / 10 / 10 / 10 | 300 / 300 / 2000 / 300 | 2 | 0 | 4 / 3 | 0.5 | 3.0 | **no** |')
  t.match(md, '![End-to-end latency against offered rate](benchmarks-latency.svg)')
  t.match(md, '| order | 0.20 · 4 | 0.20 · 2 | 150 | 150 |')
  t.match(md, '- 100/s: failures over 1 run: HTTP 503 SERVICE_UNAVAILABLE ×2; end-to-end p99 2.00 s > 1.00 s')
  t.notMatch(md, '- 50/s:', 'a clean rate has no failure line')
  t.match(md, '| database orchestrator: transactions / rows written / rows read | 8.0 / 20.0 / 500 | 8.0 / 20.0 / 500 |')
  t.match(md, '| stream ORDERS: messages | 6.0 | 6.0 |')
  t.match(md, '### Cost per completed order')
  t.match(md, "Statements: SQL statements the platform's databases executed, from pg_stat_statements (track top) in orderflow_order, orderflow_payment.")
  t.match(md, '| rate /s | orders completed | CPU ms per order: machine / platform | deliveries per order | published per order | statements per order |')
  t.match(md, '| 50 | 1000 | 12.0 / 6.0 | 18.0 | 16.0 | 60.0 |')
  t.match(md, '| 100 | 2000 | 6.0 / 3.0 | 18.0 | 16.0 | 60.0 |')
  t.match(md, '| database payment | 35.0 | 35.0 |')
  t.match(md, 'The 2 most called statements at 100/s, calls per order:')
  t.match(md, '| 4.0 | payment | `select "p0".* from "payments" as "p0" where "p0"."order_id" = $1 \\| limit $2` |', 'a pipe in the text does not split the cell')
  t.notMatch(md, 'evicted', 'no warning when nothing was evicted')
})

t.test('the cost per completed order: spreads over runs, statements not measured, older results without it', async (t) => {
  const costs = (deliveries: number, statements: number) => {
    const base = rateRun(50).perCompletedOrder
    if (!base || typeof base.statements === 'string') throw new Error('fixture')
    return rateRun(50, { perCompletedOrder: { ...base, deliveries: { total: deliveries, byConsumer: {} }, statements: { ...base.statements, total: statements, evicted: 2 } } })
  }
  const three = renderSection(result([[costs(18, 60), costs(22, 70), costs(20, 50)]]), { command: 'make bench' })
  t.match(three, '| 50 | 1000 | 12.0 / 6.0 | 20.0 (18.0–22.0) | 16.0 | 60.0 (50.0–70.0) |')
  t.match(three, 'pg_stat_statements evicted 6 entries during the windows')

  const unloaded = (r: RateRun): RateRun => ({ ...r, perCompletedOrder: { ...(r.perCompletedOrder as NonNullable<RateRun['perCompletedOrder']>), statements: NOT_LOADED } })
  const md = renderSection(result([[unloaded(rateRun(50))], [unloaded(rateRun(100))]]), { command: 'make bench' })
  t.match(md, 'Statements: not measured (pg_stat_statements not loaded).')
  t.match(md, '| 50 | 1000 | 12.0 / 6.0 | 18.0 | 16.0 | not measured |')
  t.notMatch(md, 'most called statements')
  const summary = result([[unloaded(rateRun(50))]]).summaries[0]
  t.equal(summary?.perCompletedOrder?.statements, NOT_LOADED, 'the summary says so too')

  const { perCompletedOrder: _, ...older } = rateRun(50)
  const old = renderSection(result([[older]]), { command: 'make bench' })
  t.notMatch(old, 'Cost per completed order', 'results of older benchmarks render as before')
  t.match(old, '### CPU and memory by process during the measured window')
})

t.test('repeated runs show the median with min–max', async (t) => {
  const runs = [rateRun(50, { endToEnd: latency(200, { p99: 400 }) }), rateRun(50, { endToEnd: latency(200, { p99: 600 }) }), rateRun(50, { endToEnd: latency(200, { p99: 500 }) })]
  const md = renderSection(result([runs], { settings: { ...result([runs]).settings, mode: 'fixed', runs: 3 } }), { command: 'make bench BENCH_ARGS="--rate 50 --runs 3"' })
  t.match(md, /^## Fixed rates: end to end/)
  t.match(md, '200 / 200 / 500 (400–600) / 200')
  t.match(md, 'cells: median, with min–max across runs')
  t.notMatch(md, 'Highest sustainable')
  t.notMatch(md, '![', 'no chart without a chart file')
  t.notMatch(md, 'Stopped early')
  const stopped = renderSection(result([runs], { stoppedEarly: 'rate 50/s run 2: sorry, too many clients already' }), { command: 'make bench' })
  t.match(stopped, '**Stopped early** (rate 50/s run 2: sorry, too many clients already)')
  const housekept = renderSection(result([runs], { vacuumDuringRunsSeconds: 2 }), { command: 'make bench' })
  t.match(housekept, "before each run, and every 2 s during it of the tables autovacuum's thresholds call due; services running")
})

t.test('the books check after the runs: agreed, or the first broken rules', async (t) => {
  const runs = [[rateRun(50)]]
  t.notMatch(renderSection(result(runs), { command: 'make bench' }), 'Books after the runs', 'intake runs and old results have none')
  const agreed = renderSection(result(runs, { books: { statuses: { FAILED: 2, DELIVERED: 98 }, violationCount: 0, violations: [], unfinished: 0 } }), { command: 'make bench' })
  t.match(agreed, "**Books after the runs** (`orderflow books`' rules, every order the benchmark placed): 100 orders (98 DELIVERED, 2 FAILED); orders, stock and payments agree.\n")
  const violations = Array.from({ length: 7 }, (_, i) => `order ${i} is DELIVERED but its stock is RELEASED`)
  const broken = renderSection(result(runs, { books: { statuses: { DELIVERED: 7, CONFIRMED: 1 }, violationCount: 79, violations, unfinished: 1 } }), { command: 'make bench' })
  t.match(broken, '**Books after the runs: 79 broken rules** in 8 orders (1 CONFIRMED, 7 DELIVERED), first: `order 0 is DELIVERED but its stock is RELEASED`;')
  t.match(broken, '`order 4 is DELIVERED but its stock is RELEASED`. 1 had not ended when the benchmark stopped waiting.')
  t.notMatch(broken, 'order 5 is', 'five are quoted, the count says the rest')
})

t.test('merging keeps the notes and the other sections, replacing only its own', async (t) => {
  const first = mergeReport(undefined, 'saga-step', '## step v1')
  t.match(first, /^# Benchmarks/)
  t.match(first, '<!-- notes:begin -->\n<!-- notes:end -->')
  const edited = first.replace('<!-- notes:begin -->\n<!-- notes:end -->', '<!-- notes:begin -->\n## Findings\nThe orchestrator burns the CPU.\n<!-- notes:end -->')
  const second = mergeReport(edited, 'saga-fixed', '## fixed v1')
  const third = mergeReport(second, 'saga-step', '## step v2')
  t.match(third, 'The orchestrator burns the CPU.')
  t.match(third, '## fixed v1')
  t.match(third, '## step v2')
  t.notMatch(third, 'step v1')
  t.ok(third.indexOf('step v2') < third.indexOf('fixed v1'), 'sections in a fixed order')
  t.equal(mergeReport(third, 'saga-step', '## step v2'), third, 'stable when nothing changed')
  t.equal(sectionKey({ intake: true, mode: 'fixed' }), 'intake-fixed')
})

t.test('the latency chart is an SVG with one line per percentile and the budget', async (t) => {
  const svg = latencyChart(result([[rateRun(50)], [rateRun(100, { endToEnd: latency(300, { p99: 2000 }) })], [rateRun(150, { endToEnd: latency(5000) })]]))
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  t.match(svg, /<\/svg>\n$/)
  t.equal(svg.match(/<polyline /g)?.length, 5, 'E2E p50/p90/p99 and HTTP p50/p99')
  t.match(svg, 'p99 budget 1000 ms')
  t.match(svg, 'End-to-end order latency vs offered rate (median of 1 run)')
  t.notMatch(svg, /NaN|undefined|Infinity/)
})
