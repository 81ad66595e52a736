import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { managedProcess, type ManagedProcess } from './managed-process.js'

export const DEFAULT_NATS_SERVER = '/usr/sbin/nats-server'

/** A nats-server of the run's own with JetStream on file storage, which it may kill at will. */
export interface NatsServer {
  readonly url: string
  /** The HTTP monitoring endpoint (`/healthz`, `/jsz`). */
  readonly monitorUrl: string
  readonly process: ManagedProcess
}

export interface NatsOptions {
  /** The run's directory; the store lives in `<runRoot>/nats`. */
  runRoot: string
  logFile: string
  /** @default DEFAULT_NATS_SERVER */
  binary?: string
}

/**
 * Starts nats-server on free ports. A restart (`process.start()` after a kill) reuses the same
 * store directory and ports, so JetStream recovers its streams and consumers from disk, as a
 * restarted pod with its volume would.
 */
export async function startNats(opts: NatsOptions): Promise<NatsServer> {
  const store = join(opts.runRoot, 'nats')
  mkdirSync(store, { recursive: true })
  const [port, monitorPort] = [await freePort(), await freePort()]
  const monitorUrl = `http://127.0.0.1:${monitorPort}`
  const server = managedProcess({
    name: 'nats-server',
    command: opts.binary ?? DEFAULT_NATS_SERVER,
    args: ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort)],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: store,
    logFile: opts.logFile,
    runRoot: opts.runRoot,
    // Healthy only once JetStream has recovered its streams, not merely when the port is open.
    ready: async () => (await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok,
  })
  await server.start()
  return { url: `nats://127.0.0.1:${port}`, monitorUrl, process: server }
}
