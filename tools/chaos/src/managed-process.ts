import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'
import { forgetPid, recordPid, RUN_MARKER } from './reaper.js'

/** How to run one of the processes a chaos run starts and breaks. */
export interface ProcessSpec {
  name: string
  command: string
  args: readonly string[]
  env: Readonly<Record<string, string>>
  cwd: string
  /** Its stdout and stderr are appended here, across restarts. */
  logFile: string
  /** The run's directory: pid files for the reaper, and the marker in the child's environment. */
  runRoot: string
  /** Run as this user (PostgreSQL refuses to run as root). @default ours */
  user?: { uid: number; gid: number }
  /** How the reaper ends it if we die first. @default 'KILL' */
  reapSignal?: 'KILL' | 'QUIT'
  /** Keep the child's stdin open: a preload in the child exits when it closes. @default false */
  holdStdin?: boolean
  /** True once it serves. */
  ready: () => Promise<boolean>
  /** @default 60_000 */
  readyTimeoutMs?: number
}

/** An exit nobody asked for: the process died by itself. */
export interface UnexpectedExit {
  name: string
  at: Date
  code: number | null
  signal: NodeJS.Signals | null
  /** Whether it had been serving (an exit while starting is a failed start). */
  wasReady: boolean
}

export interface ManagedProcess {
  readonly name: string
  pid(): number | undefined
  running(): boolean
  /** Spawns it and resolves with the milliseconds it took to be ready; rejects if it exits or is not ready in time. */
  start(): Promise<number>
  /** Sends a signal that is not meant to end it (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void
  /** Sends `signal` and waits for the exit, which is then expected. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Marks the next exit as expected, for a stop another program makes (pg_ctl), and waits for it. */
  expectExit(): Promise<void>
  onUnexpectedExit(listener: (exit: UnexpectedExit) => void): void
}

export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError'
}

export function managedProcess(spec: ProcessSpec): ManagedProcess {
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let expecting = false
  let ready = false
  const listeners: ((exit: UnexpectedExit) => void)[] = []
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null

  const spawnChild = () => {
    const log = openSync(spec.logFile, 'a')
    writeSync(log, `\n=== chaos: starting ${spec.name} at ${new Date().toISOString()}\n`)
    const spawned = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...spec.env, [RUN_MARKER]: spec.runRoot },
      stdio: [spec.holdStdin ? 'pipe' : 'ignore', log, log],
      // A process group of its own. In ours, a SIGSTOPped service would be sent SIGHUP by the
      // kernel as soon as our group became orphaned with a stopped member (a child of ours
      // exiting can do that), and a Ctrl-C at the terminal would reach every service directly.
      detached: true,
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    })
    closeSync(log)
    child = spawned
    expecting = false
    ready = false
    exited = new Promise((resolve) => {
      spawned.once('error', () => resolve())
      spawned.once('exit', (code, signal) => {
        forgetPid(spec.runRoot, spec.name)
        if (!expecting) for (const l of listeners) l({ name: spec.name, at: new Date(), code, signal, wasReady: ready })
        resolve()
      })
    })
    if (spawned.pid !== undefined) recordPid(spec.runRoot, spec.name, spawned.pid, spec.reapSignal ?? 'KILL')
    return spawned
  }

  return {
    name: spec.name,
    pid: () => (alive() ? child?.pid : undefined),
    running: alive,
    async start() {
      if (alive()) throw new ProcessStartError(`${spec.name} is already running (pid ${child?.pid})`)
      const startedAt = Date.now()
      const spawned = spawnChild()
      const spawnError = new Promise<Error>((resolve) => spawned.once('error', resolve))
      const deadline = startedAt + (spec.readyTimeoutMs ?? 60_000)
      for (;;) {
        const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(r, 100, undefined))])
        if (failed) throw new ProcessStartError(`${spec.name} could not be started: ${failed.message}`)
        if (!alive()) throw new ProcessStartError(`${spec.name} exited while starting (code ${spawned.exitCode}, signal ${spawned.signalCode}); see ${spec.logFile}`)
        if (await spec.ready().catch(() => false)) break
        if (Date.now() > deadline) throw new ProcessStartError(`${spec.name} was not ready after ${spec.readyTimeoutMs ?? 60_000} ms; see ${spec.logFile}`)
      }
      ready = true
      return Date.now() - startedAt
    },
    signal(signal) {
      if (alive()) child?.kill(signal)
    },
    async kill(signal = 'SIGKILL') {
      if (!alive()) return
      expecting = true
      child?.kill(signal)
      await exited
    },
    async expectExit() {
      if (!alive()) return
      expecting = true
      await exited
    },
    onUnexpectedExit(listener) {
      listeners.push(listener)
    },
  }
}
