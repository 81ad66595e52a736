import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runChaos } from './chaos-run.js'
import { PlanError } from './fault-plan.js'
import { parseOptions, usage, UsageError } from './options.js'
import type { ChaosResult } from './results.js'
import { mergeReport, renderMarkdown, renderText } from './summary.js'

/** The repository root: src/ and dist/ both sit in tools/chaos/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs the chaos run from the command line; returns the exit code (0 passed, 1 failed, 2 usage). */
export async function main(argv: string[], out = (s: string) => console.log(s)): Promise<number> {
  let options
  try {
    options = parseOptions(argv)
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      out(`orderflow-chaos: ${error.message}\n${usage}`)
      return 2
    }
    throw error
  }
  if (options === 'help') {
    out(usage)
    return 0
  }
  if ('render' in options) {
    // Rewrites the report from saved figures, e.g. after its format changed.
    const saved = JSON.parse(readFileSync(options.render, 'utf8')) as ChaosResult
    writeFileSync(options.report, mergeReport(readFileSync(options.report, 'utf8'), renderMarkdown(saved)))
    out(`Report: ${options.report}`)
    return 0
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const resultFile = resolve(options.out ?? join(ROOT, 'chaos-results', `${stamp}.json`))
  const logDir = join(dirname(resultFile), `${stamp}-logs`)

  // Ctrl-C or a TERM stops the load and the faults; runChaos then stops and removes what it started.
  const abort = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    out(`${signal}: stopping, and cleaning up what the run started`)
    abort.abort()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const result = await runChaos({
      root: ROOT,
      ...options,
      logDir,
      command: `orderflow-chaos ${argv.join(' ')}`.trim(),
      log: out,
      signal: abort.signal,
    })
    writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`)
    out(`\n${renderText(result)}\nResult: ${resultFile}`)
    if (options.report) {
      writeFileSync(options.report, mergeReport(readFileSync(options.report, 'utf8'), renderMarkdown(result)))
      out(`Report: ${options.report}`)
    }
    return result.passed ? 0 : 1
  } catch (error) {
    if (error instanceof PlanError) {
      out(`orderflow-chaos: ${error.message}`)
      return 2
    }
    out(`orderflow-chaos: the run could not be made: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    return abort.signal.aborted ? 130 : 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
