import { execFile } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './free-port.js'
import { managedProcess, type ManagedProcess } from './managed-process.js'

const run = promisify(execFile)

/** The services in the order they start: the consumers before the order service that feeds them. */
export const SERVICE_NAMES = ['inventory', 'payment', 'fulfillment', 'notification', 'order'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

/**
 * Settings that make an order take a second, not minutes: e2e's FAST (e2e/test/support/platform.ts)
 * except the saga's step timeout, which keeps its default — a run must see the deadline that
 * production has; a generous one would hide orders failed by an outage — and the provider's
 * timeout: the run's cards never time out at the simulated provider, and a call cut short by a
 * busy machine would fail its order for a reason the run did not cause.
 */
const FAST: Record<ServiceName, Record<string, string>> = {
  inventory: { RESERVATION_SWEEP_INTERVAL_MS: '500' },
  payment: {},
  fulfillment: { FULFILLMENT_SHIP_AFTER_MS: '300', FULFILLMENT_DELIVER_AFTER_MS: '300', FULFILLMENT_SCHEDULER_INTERVAL_MS: '50' },
  notification: { MAIL_SEND_INTERVAL_MS: '200' },
  order: { SAGA_DEADLINE_SCAN_INTERVAL_MS: '100' },
}

/**
 * Which code runs: `dist` is what `make build` compiled (`make chaos`); `src` runs the sources
 * through tsx, as the other tests do, so `make test` needs no build.
 */
export type CodeSource = 'dist' | 'src'

/** One service of the run: its port, and its process to kill, stop and start again. */
export interface PlatformService {
  readonly name: ServiceName
  readonly url: string
  readonly process: ManagedProcess
}

export interface ServiceSetup {
  root: string
  runRoot: string
  logDir: string
  source: CodeSource
  natsUrl: string
  pgUrlBase: string
  jwtSecret: string
  smtpUrl: string
  logLevel: string
}

/**
 * Prepares a service as `tools/dev/up` does — its database created and migrated, its streams and
 * consumers provisioned — then starts it on a free port and waits until it is ready.
 */
export async function startService(name: ServiceName, setup: ServiceSetup): Promise<PlatformService> {
  const port = await freePort()
  const logFile = join(setup.logDir, `${name}.log`)
  const meta = declaredService(setup.root, name)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // As tools/dev/up: V8 would size its young generation from the machine's memory.
    NODE_OPTIONS: '--max-semi-space-size=8',
    NATS_URL: setup.natsUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRETS: setup.jwtSecret,
    LOG_LEVEL: setup.logLevel,
    // The load driver sends every order with one token, as one caller: a per-caller limit would
    // refuse it with 429s the run did not come to measure (libs/http's tests cover the limits).
    RATE_LIMIT_ENABLED: 'false',
    ...(meta.database ? { DATABASE_URL: `${setup.pgUrlBase}/orderflow_${name}` } : {}),
    ...FAST[name],
    ...(name === 'notification' ? { SMTP_URL: setup.smtpUrl } : {}),
  }
  const once = async (entry: 'migrate' | 'provision', extra: string[]) => {
    const { stdout, stderr } = await run(process.execPath, [...entryArgs(setup.source, name, entry), ...extra], { cwd: setup.root, env })
    appendFileSync(logFile, `\n=== chaos: ${entry} ${extra.join(' ')}\n${stdout}${stderr}`)
  }
  if (meta.database) await once('migrate', ['up', '--create-database'])
  await once('provision', [])
  const url = `http://127.0.0.1:${port}`
  const processOf = managedProcess({
    name,
    command: process.execPath,
    args: [`--import=${join(setup.root, 'tools/chaos/preload/exit-with-parent.mjs')}`, ...entryArgs(setup.source, name, 'main')],
    env,
    cwd: setup.root,
    logFile,
    runRoot: setup.runRoot,
    holdStdin: true,
    ready: async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) })).ok,
  })
  await processOf.start()
  return { name, url, process: processOf }
}

function entryArgs(source: CodeSource, name: ServiceName, entry: 'main' | 'migrate' | 'provision'): string[] {
  return source === 'src'
    ? ['--import=tsx', '--conditions=orderflow-source', `services/${name}/src/${entry}.ts`]
    : [`services/${name}/dist/${entry}.js`]
}

/** What a service says of itself in its package.json (`"orderflow"`), as tools/dev/services.mjs reads it. */
function declaredService(root: string, name: ServiceName): { database: boolean } {
  const pkg = JSON.parse(readFileSync(join(root, 'services', name, 'package.json'), 'utf8')) as { orderflow?: { database?: boolean } }
  return { database: pkg.orderflow?.database === true }
}
