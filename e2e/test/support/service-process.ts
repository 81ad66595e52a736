import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'

interface TestLike {
  teardown(fn: () => unknown): void
}

/** A service running as its own Node.js process, as in production, that a test can kill. */
export interface ServiceProcess {
  readonly port: number
  /** Sends a signal and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>
  /** Starts the process again (after `kill`) and waits until it answers /readyz. */
  start(): Promise<void>
  /** What the process printed (its JSON logs), for a failing test's diagnosis. */
  output(): string
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const exitWithParent = fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url))

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (!address || typeof address === 'string') throw new Error('no TCP port')
  return address.port
}

async function waitReady(port: number, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process exited with code ${child.exitCode} while starting`)
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`not ready on port ${port} after ${timeoutMs} ms`)
}

/**
 * Runs `services/<name>/src/main.ts` through tsx with the given settings (the test's database
 * and NATS namespace), waits until it is ready, and kills it when the test ends.
 */
export async function startServiceProcess(t: TestLike, name: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort()
  const main = `services/${name}/src/main.ts`
  let child: ChildProcess | undefined
  let output = ''
  const start = async () => {
    const spawned = spawn(process.execPath, ['--import=tsx', '--conditions=orderflow-source', `--import=${exitWithParent}`, main], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        NATS_URL: TEST_NATS_URL,
        JWT_SECRETS: TEST_JWT_SECRETS.join(','),
        LOG_LEVEL: 'warn',
        OUTBOX_POLL_INTERVAL_MS: '200',
        // As serviceTestbed: the tests send hundreds of orders as one caller.
        RATE_LIMIT_ENABLED: 'false',
        ...env,
        PORT: String(port),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    child = spawned
    const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000))
    spawned.stdout.on('data', keep)
    spawned.stderr.on('data', keep)
    await waitReady(port, spawned)
  }
  const kill = async (signal: NodeJS.Signals) => {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, 'exit')
    running.kill(signal)
    await exited
  }
  await start()
  t.teardown(() => kill('SIGKILL'))
  return { port, kill, start, output: () => output }
}
