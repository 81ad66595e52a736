import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runBenchmark } from './bench.js'
import { parseOptions, usage, UsageError } from './options.js'
import { latencyChart } from './report-chart.js'
import { mergeReport, renderSection, sectionKey } from './report.js'
import type { BenchResult } from './results.js'
import { summarizeRate } from './summarize-runs.js'

/** The repository root: src/ and dist/ both sit in tools/bench/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs the benchmark from the command line and returns the process exit code (0 done, 1 failed, 2 usage). */
export async function main(argv: string[], env = process.env, out = (s: string) => console.log(s)): Promise<number> {
  let options
  try {
    options = parseOptions(argv)
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      out(`orderflow-bench: ${error.message}\n${usage}`)
      return 2
    }
    throw error
  }
  if (options === 'help') {
    out(usage)
    return 0
  }
  if ('render' in options) {
    // Regenerates the report from saved figures, e.g. after the report's format changed.
    const saved = JSON.parse(readFileSync(options.render, 'utf8')) as BenchResult
    // Summaries are derived figures: recompute them, so older files gain newer columns.
    const summaries = saved.summaries.map((s) => summarizeRate(saved.runs.filter((r) => r.rate === s.rate), s.verdict))
    out(`report: ${writeReport({ ...saved, summaries, stoppedEarly: saved.stoppedEarly ?? null })}`)
    return 0
  }
  // Ctrl-C stops sending, and the system is still stopped if the benchmark started it.
  const abort = new AbortController()
  const onSignal = () => {
    out('interrupted: finishing the current run and cleaning up')
    abort.abort()
  }
  process.once('SIGINT', onSignal)
  try {
    const command = argv.length === 0 ? 'make bench' : `make bench BENCH_ARGS="${argv.join(' ')}"`
    const result = { ...(await runBenchmark(options, { root: ROOT, env, log: out, signal: abort.signal })), command }
    const file = writeResult(result)
    out(`results: ${file}`)
    if (options.writeReport && result.summaries.length > 0) out(`report: ${writeReport(result)}`)
    // Throughput bought by breaking the saga's promise is a failed benchmark.
    return result.stoppedEarly === null && (result.books?.violationCount ?? 0) === 0 ? 0 : 1
  } catch (error) {
    out(`orderflow-bench: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
  }
}

function writeResult(result: BenchResult): string {
  const dir = join(ROOT, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${result.id}.json`)
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
  return file
}

/** Rewrites this kind of run's section of docs/benchmarks.md and its chart; returns the report's path. */
function writeReport(result: BenchResult): string {
  const key = sectionKey(result.settings)
  // The default profile keeps the plain name; other kinds of run get their own chart.
  const chartFile = key === 'saga-step' ? 'benchmarks-latency.svg' : `benchmarks-latency-${key}.svg`
  const withChart = result.summaries.length > 1
  if (withChart) writeFileSync(join(ROOT, 'docs', chartFile), latencyChart(result))
  const section = renderSection(result, { command: result.command ?? 'make bench', ...(withChart ? { chartFile } : {}) })
  const reportFile = join(ROOT, 'docs', 'benchmarks.md')
  const existing = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : undefined
  writeFileSync(reportFile, mergeReport(existing, key, section))
  return reportFile
}
