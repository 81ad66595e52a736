import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startPostgres } from '@orderflow/chaos'
import { TEST_JWT_SECRETS } from '@orderflow/testing'

// A real service as the subject of the start-up tests: `runService` is a process entry point
// (signals, exit codes, a port), so it is run as one. Fulfillment, the simplest service with a
// database, consumers and a worker. Run by path, not imported: libs do not depend on services.

interface Teardown {
  teardown(fn: () => unknown): void
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const SERVICE = 'fulfillment'

/** The settings the subject needs besides its database and NATS; a test adds or overrides them. */
const BASE_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOST: '127.0.0.1',
  JWT_SECRETS: TEST_JWT_SECRETS.join(','),
  LOG_LEVEL: 'warn',
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no TCP port')
  return address.port
}

/**
 * Preloaded into the service: the test holds its stdin, so when the test process dies — even by
 * SIGKILL on a tap timeout, when no teardown runs — the service exits instead of waiting for ever.
 */
const EXIT_WITH_PARENT = "data:text/javascript,process.stdin.on('end',()=>process.exit(1));process.stdin.resume()"

function spawnEntry(entry: string, args: readonly string[], env: Record<string, string>, holdStdin = false): ChildProcess {
  const preload = holdStdin ? [`--import=${EXIT_WITH_PARENT}`] : []
  return spawn(process.execPath, ['--import=tsx', '--conditions=orderflow-source', ...preload, `services/${SERVICE}/src/${entry}.ts`, ...args], {
    cwd: repoRoot,
    env: { ...BASE_ENV, ...env },
    stdio: [holdStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
}

/** The subject's `migrate` or `provision` entry point running as its own process, as a deployment's Job runs it. */
export interface JobProcess {
  /** Its exit code once it exited (`null` after a signal it did not handle). */
  readonly exited: Promise<number | null>
  /** What it printed so far. */
  output(): string
  signal(signal: NodeJS.Signals): void
}

export function startJob(entry: 'migrate' | 'provision', args: readonly string[], env: Record<string, string>): JobProcess {
  const child = spawnEntry(entry, args, env)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return { exited, output: () => output, signal: (signal) => void child.kill(signal) }
}

/** Runs the subject's `migrate` or `provision` entry point to its end, as the deployment's Jobs do. */
export async function runJob(entry: 'migrate' | 'provision', args: readonly string[], env: Record<string, string>): Promise<void> {
  const job = startJob(entry, args, env)
  const code = await job.exited
  if (code !== 0) throw new Error(`${entry} ${args.join(' ')} exited with ${code}:\n${job.output()}`)
}

export interface Reply {
  status: number
  headers: Headers
  body: string
}

/** The subject running as its own process, killed when the test ends. */
export interface ServiceProcess {
  readonly port: number
  /** Its exit code once it exited (`null` after a signal it did not handle). */
  readonly exited: Promise<number | null>
  /** What it printed: its JSON log lines, a failure's message. */
  output(): string
  /** Its log lines that parse as JSON. */
  logLines(): Record<string, unknown>[]
  signal(signal: NodeJS.Signals): void
  /** A GET on its port; status 0 while nothing answers there. */
  get(path: string, headers?: Record<string, string>): Promise<Reply>
  /** Polls `/readyz` until `until` accepts the reply, and returns that reply. */
  waitForReadiness(until: (reply: Reply) => boolean, what: string, timeoutMs?: number): Promise<Reply>
}

export function startService(t: Teardown, env: Record<string, string>, port: number): ServiceProcess {
  const child = spawnEntry('main', [], { ...env, PORT: String(port) }, true)
  let output = ''
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-100_000))
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })

  const get = async (path: string, headers: Record<string, string> = {}): Promise<Reply> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(5_000) })
      return { status: res.status, headers: res.headers, body: await res.text() }
    } catch {
      return { status: 0, headers: new Headers(), body: '' }
    }
  }
  return {
    port,
    exited,
    output: () => output,
    logLines: () =>
      output.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
    signal: (signal) => void child.kill(signal),
    get,
    async waitForReadiness(until, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      let last: Reply | undefined
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} while waiting for ${what}:\n${output}`)
        last = await get('/readyz')
        if (until(last)) return last
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`no ${what} after ${timeoutMs} ms; /readyz last said ${last?.status} ${last?.body}\n${output}`)
    },
  }
}

/** What a waiting service's `/readyz` names as missing, or `undefined` when it says something else. */
export function waitingFor(reply: Reply): string | undefined {
  if (reply.status !== 503) return undefined
  try {
    const body = JSON.parse(reply.body) as { status?: unknown; waitingFor?: unknown }
    return body.status === 'starting' && typeof body.waitingFor === 'string' ? body.waitingFor : undefined
  } catch {
    return undefined
  }
}

/**
 * A private PostgreSQL (never the machine's), created and stopped at once: its port is known and
 * nothing answers there yet; `start()` brings it up. Removed when the test ends.
 */
export async function stoppedPostgres(t: Teardown, label: string): Promise<Awaited<ReturnType<typeof startPostgres>>> {
  const runRoot = mkdtempSync(join(tmpdir(), `orderflow-${label}-`))
  // PostgreSQL runs as its own user and must reach its directory inside.
  chmodSync(runRoot, 0o711)
  mkdirSync(join(runRoot, 'pids'))
  t.teardown(() => rmSync(runRoot, { recursive: true, force: true }))
  const postgres = await startPostgres({ runRoot, logFile: join(runRoot, 'postgres.log') })
  t.teardown(() => postgres.process.kill('SIGQUIT'))
  await postgres.stopImmediately()
  return postgres
}
