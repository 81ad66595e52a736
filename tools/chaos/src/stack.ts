import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSmtpCatcher, type SmtpCatcher } from '@orderflow/testing/smtp'
import type { Cleanup } from './cleanup.js'
import type { ManagedProcess, UnexpectedExit } from './managed-process.js'
import { startNats, type NatsServer } from './nats-server.js'
import { SERVICE_NAMES, startService, type CodeSource, type PlatformService, type ServiceName } from './platform-services.js'
import { startPostgres, type PostgresServer } from './postgres-server.js'
import { startReaper } from './reaper.js'

/** Everything a run starts, and may break: never the machine's shared servers. */
export interface Stack {
  /** The temp directory: the cluster, the NATS store, the pid files. Removed at cleanup. */
  readonly runRoot: string
  readonly nats: NatsServer
  readonly postgres: PostgresServer
  /** Receives the notification service's mails. */
  readonly smtp: SmtpCatcher
  readonly services: Readonly<Record<ServiceName, PlatformService>>
  readonly jwtSecret: string
  /** Processes that died without being killed, in order; each was started again. */
  readonly unexpectedExits: readonly UnexpectedExit[]
}

export interface StackOptions {
  /** The repository. */
  root: string
  /** Where the processes' logs go; kept after the run. */
  logDir: string
  source: CodeSource
  logLevel: string
  cleanup: Cleanup
  log: (line: string) => void
}

/** After an unexpected exit: wait, then start again, longer after each failed start (as a kubelet). */
const RESTART_DELAYS_MS = [1_000, 2_000, 5_000]

export async function startStack(opts: StackOptions): Promise<Stack> {
  const runRoot = mkdtempSync(join(tmpdir(), 'orderflow-chaos-'))
  // PostgreSQL runs as its own user and must reach its directory inside.
  chmodSync(runRoot, 0o711)
  opts.cleanup.add(`remove ${runRoot}`, () => rmSync(runRoot, { recursive: true, force: true }))
  startReaper(runRoot)

  let closing = false
  const unexpectedExits: UnexpectedExit[] = []
  const restarting = new Set<ManagedProcess>()
  const supervise = (p: ManagedProcess) => {
    p.onUnexpectedExit((exit) => {
      unexpectedExits.push(exit)
      if (restarting.has(p)) return
      opts.log(`!! ${exit.name} exited by itself (code ${exit.code}, signal ${exit.signal})${exit.wasReady ? '' : ' while starting'}; starting it again`)
      restarting.add(p)
      void restart(p).finally(() => restarting.delete(p))
    })
  }
  const restart = async (p: ManagedProcess) => {
    for (let attempt = 0; !closing && !p.running(); attempt++) {
      await new Promise((r) => setTimeout(r, RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)]))
      if (closing || p.running()) return
      if (await p.start().then(() => true, () => false)) return
    }
  }
  /** A cleanup step that ends a process for good: nothing starts it again afterwards. */
  const stopFor = (p: ManagedProcess, signal: NodeJS.Signals) => () => {
    closing = true
    return p.kill(signal)
  }

  const smtp = await startSmtpCatcher({ teardown: (fn) => opts.cleanup.add('stop the SMTP catcher', fn) })
  const postgres = await startPostgres({ runRoot, logFile: join(opts.logDir, 'postgres.log') })
  // Stopped with SIGQUIT: immediate, its data is thrown away anyway.
  opts.cleanup.add('stop PostgreSQL', stopFor(postgres.process, 'SIGQUIT'))
  supervise(postgres.process)
  const nats = await startNats({ runRoot, logFile: join(opts.logDir, 'nats-server.log') })
  opts.cleanup.add('stop nats-server', stopFor(nats.process, 'SIGKILL'))
  supervise(nats.process)

  const jwtSecret = `chaos-${randomBytes(24).toString('hex')}`
  const setup = { root: opts.root, runRoot, logDir: opts.logDir, source: opts.source, natsUrl: nats.url, pgUrlBase: postgres.urlBase, jwtSecret, smtpUrl: smtp.url, logLevel: opts.logLevel }
  const services = {} as Record<ServiceName, PlatformService>
  // Side by side: each is a few Node processes that mostly wait on their start-up.
  const started = await Promise.allSettled(SERVICE_NAMES.map(async (name) => {
    services[name] = await startService(name, setup)
    opts.cleanup.add(`stop ${name}`, stopFor(services[name].process, 'SIGKILL'))
    supervise(services[name].process)
  }))
  const failed = started.flatMap((s) => (s.status === 'rejected' ? [s.reason instanceof Error ? s.reason.message : String(s.reason)] : []))
  if (failed.length > 0) throw new Error(`the platform did not start:\n  ${failed.join('\n  ')}`)
  return { runRoot, nats, postgres, smtp, services, jwtSecret, unexpectedExits }
}
