import { parseArgs } from 'node:util'
import type { Profile } from './fault-plan.js'
import type { CodeSource } from './platform-services.js'

export interface ChaosCliOptions {
  profile: Profile
  durationS: number
  rate: number
  source: CodeSource
  /** The result's JSON; its directory also gets the logs. */
  out: string | undefined
  /** Rewrites this file's latest-run section (docs/reliability.md under make chaos). */
  report: string | undefined
  logLevel: string
}

export const usage = `usage: orderflow-chaos [options]      (make chaos DURATION=… RATE=…)
Starts a platform of its own (a PostgreSQL cluster from initdb, a nats-server, the five services,
an SMTP catcher; free ports and a temp directory, never the machine's shared servers), drives
orders through the public API at a fixed rate (declines, a scarce SKU, cancels among them) while
it kills every service in turn, kills nats-server, stops PostgreSQL immediately, stalls a service
past the consumers' ack wait and injects poison messages; then checks that every order ended, the
books are clean, every mail went out exactly once and the dead letters hold only the poison.
Exit code: 0 every check passed, 1 a check failed (or the run could not be made), 2 usage.

  --duration S     seconds of load (default 180; a full run needs at least 152, --short 75)
  --rate N         orders per second (default 10)
  --short          one fault of each kind, as make test runs it
  --source dist|src  run the compiled services (default; make build first) or their sources through tsx
  --out FILE       the result as JSON (default chaos-results/<time>.json; logs beside it)
  --report FILE    write the summary into FILE's latest-run section (make chaos: docs/reliability.md)
  --log-level L    the services' LOG_LEVEL (default warn)
  --render FILE    run nothing: write the summary of a saved result (JSON) into --report's file`

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export function parseOptions(argv: string[]): ChaosCliOptions | 'help' | { render: string; report: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      short: { type: 'boolean' },
      source: { type: 'string' },
      out: { type: 'string' },
      report: { type: 'string' },
      'log-level': { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return 'help'
  if (values.render !== undefined) {
    if (values.report === undefined) throw new UsageError('--render needs --report: which file to write the summary into')
    return { render: values.render, report: values.report }
  }
  const positive = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`--${name} must be a positive number, got ${raw}`)
    return n
  }
  const source = values.source ?? 'dist'
  if (source !== 'dist' && source !== 'src') throw new UsageError(`--source is dist or src, got ${source}`)
  return {
    profile: values.short ? 'short' : 'full',
    durationS: positive('duration', values.duration, values.short ? 75 : 180),
    rate: positive('rate', values.rate, 10),
    source,
    out: values.out,
    report: values.report,
    logLevel: values['log-level'] ?? 'warn',
  }
}
