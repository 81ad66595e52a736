import { parseArgs } from 'node:util'
import type { BenchSettings } from './results.js'
import { DEFAULT_THRESHOLDS } from './verdict.js'

/** Everything a benchmark run is told. */
export interface BenchOptions {
  /** Step mode: `rates` are the steps to climb, lowest first; fixed mode: the rates given. */
  settings: BenchSettings
  orderUrl: string
  inventoryUrl: string
  /** Regenerate docs/benchmarks.md and its chart. */
  writeReport: boolean
}

export const usage = `usage: orderflow-bench [options]      (make bench BENCH_ARGS="…")
Drives orders through the public API at a fixed arrival rate (open model) and reports throughput,
HTTP and end-to-end latency, failures, backlog, CPU/memory per process, and per completed order
the CPU, JetStream deliveries, messages published and SQL statements (pg_stat_statements, when the
server preloads it). Starts the system with tools/dev/up when nothing runs (and stops it at the
end), or uses the running one.
With no options: the short default profile, a step run (2/s, +2/s, 20 s each after 5 s warm-up).

  --rate N[,N…]        fixed rate(s) in orders/s, each run --runs times
  --step               climb from --start by --step-by to --max until the system stops keeping up
  --start N            first rate of a step run (default 2)
  --step-by N          increment of a step run (default 2)
  --max N              last rate of a step run (default 100)
  --duration S         measured seconds per run (default 20 step, 30 fixed)
  --warmup S           warm-up seconds before each run, not counted (default 5 step, 10 fixed)
  --runs K             runs per rate: the report quotes medians and min–max (default 1)
  --intake             measure order intake only: HTTP answers and the outbox publishing order.evt.created
  --drain-timeout S    give up draining the backlog after S seconds (default 60)
  --max-p99 MS         latency budget for "sustainable" (default 1000)
  --skus N             stocked SKUs the orders pick from (default 100)
  --connections N      keep-alive connections to the order service (default 256)
  --order-url URL      (default http://127.0.0.1:8081)
  --inventory-url URL  (default http://127.0.0.1:8083)
  --no-vacuum          do not VACUUM ANALYZE the platform databases before each run
  --no-report          write bench-results/<time>.json only; leave docs/benchmarks.md alone
  --render FILE        measure nothing: regenerate the report from a bench-results/*.json`

/** Thrown for options that make no sense; the message is for the user. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Parses the command line; throws {@link UsageError} (or parseArgs' TypeError) on a bad one. */
export function parseOptions(argv: string[]): BenchOptions | 'help' | { render: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rate: { type: 'string' },
      step: { type: 'boolean' },
      start: { type: 'string' },
      'step-by': { type: 'string' },
      max: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      intake: { type: 'boolean' },
      'drain-timeout': { type: 'string' },
      'max-p99': { type: 'string' },
      skus: { type: 'string' },
      connections: { type: 'string' },
      'order-url': { type: 'string' },
      'inventory-url': { type: 'string' },
      'no-report': { type: 'boolean' },
      'no-vacuum': { type: 'boolean' },
      render: { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return 'help'
  if (values.render !== undefined) return { render: values.render }
  if (values.rate !== undefined && values.step) throw new UsageError('--rate and --step exclude each other')
  const mode = values.rate !== undefined ? 'fixed' : 'step'
  const num = (name: string, raw: string | undefined, fallback: number, min = 1) => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got ${raw}`)
    return n
  }
  let rates: number[]
  if (mode === 'fixed') {
    rates = (values.rate ?? '').split(',').map((r) => num('rate', r.trim(), 0))
  } else {
    const start = num('start', values.start, 2)
    const by = num('step-by', values['step-by'], 2)
    const max = num('max', values.max, 100)
    if (max < start) throw new UsageError(`--max (${max}) is below --start (${start})`)
    rates = []
    for (let r = start; r <= max + 1e-9; r += by) rates.push(r)
  }
  const runs = num('runs', values.runs, 1)
  if (!Number.isInteger(runs)) throw new UsageError(`--runs must be a whole number, got ${values.runs}`)
  return {
    settings: {
      mode,
      intake: values.intake ?? false,
      rates,
      durationSeconds: num('duration', values.duration, mode === 'step' ? 20 : 30),
      warmupSeconds: num('warmup', values.warmup, mode === 'step' ? 5 : 10, 0),
      runs,
      drainTimeoutSeconds: num('drain-timeout', values['drain-timeout'], 60),
      skus: num('skus', values.skus, 100),
      connections: num('connections', values.connections, 256),
      vacuum: !values['no-vacuum'],
      thresholds: { ...DEFAULT_THRESHOLDS, maxP99Ms: num('max-p99', values['max-p99'], DEFAULT_THRESHOLDS.maxP99Ms) },
    },
    orderUrl: values['order-url'] ?? 'http://127.0.0.1:8081',
    inventoryUrl: values['inventory-url'] ?? 'http://127.0.0.1:8083',
    writeReport: !values['no-report'],
  }
}
