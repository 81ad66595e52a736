import { setTimeout as sleep } from 'node:timers/promises'
import { describeFault, type PlannedFault } from './fault-plan.js'
import { listDeadLetters } from './platform-api.js'
import { injectPoison, type InjectedPoison } from './poison.js'
import type { Stack } from './stack.js'
import { waitUntil } from './wait-until.js'

/** A fault as it happened. Times are epoch milliseconds. */
export interface ExecutedFault extends PlannedFault {
  description: string
  startedAt: number
  /** When the repair was made: the restart, the start, the SIGCONT; for poison, the publish. */
  endedAt: number
  /**
   * From the repair until the broken part served again (/readyz, JetStream healthy, a session
   * accepted); for poison, until every injected message was dead-lettered. Null: it never did.
   */
  readyAfterMs: number | null
  injected?: InjectedPoison[]
  /** What went wrong carrying the fault out; the run's own failure, not the platform's. */
  error?: string
}

export interface FaultRunOptions {
  stack: Stack
  /** Epoch ms of the first order: the plan's times count from it. */
  t0: number
  orderUrl: string
  token: string
  log: (line: string) => void
  signal?: AbortSignal
}

/** How long a repaired part may take to serve again before the run says it did not. */
const READY_TIMEOUT_MS = 60_000

/** Carries the plan out, one fault at a time, each at its planned moment (or at once when late). */
export async function runFaults(plan: readonly PlannedFault[], opts: FaultRunOptions): Promise<ExecutedFault[]> {
  const done: ExecutedFault[] = []
  const background: Promise<void>[] = []
  for (const fault of plan) {
    const wait = opts.t0 + fault.atMs - Date.now()
    if (wait > 0) await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => undefined)
    if (opts.signal?.aborted) break
    const executed: ExecutedFault = { ...fault, description: describeFault(fault), startedAt: Date.now(), endedAt: 0, readyAfterMs: null }
    done.push(executed)
    opts.log(`   t=${((executed.startedAt - opts.t0) / 1000).toFixed(1)} s  ${executed.description}`)
    try {
      await carryOut(executed, opts, background)
    } catch (error) {
      executed.error = error instanceof Error ? error.message : String(error)
      executed.endedAt ||= Date.now()
      opts.log(`!! the fault could not be carried out: ${executed.error}`)
    }
  }
  await Promise.all(background)
  return done
}

async function carryOut(f: ExecutedFault, opts: FaultRunOptions, background: Promise<void>[]): Promise<void> {
  const { stack } = opts
  // Interrupted mid-outage: the repair is skipped, the cleanup stops everything anyway.
  const outage = () => sleep(f.outageMs, undefined, opts.signal ? { signal: opts.signal } : {})
  const repaired = async (start: () => Promise<unknown>) => {
    f.endedAt = Date.now()
    await start()
    f.readyAfterMs = Date.now() - f.endedAt
  }
  switch (f.kind) {
    case 'kill-service': {
      const p = stack.services[f.target ?? 'order'].process
      await p.kill('SIGKILL')
      await outage()
      return repaired(() => p.start())
    }
    case 'kill-nats':
      await stack.nats.process.kill('SIGKILL')
      await outage()
      return repaired(() => stack.nats.process.start())
    case 'stop-postgres':
      await stack.postgres.stopImmediately()
      await outage()
      return repaired(() => stack.postgres.start())
    case 'stall-service': {
      const service = stack.services[f.target ?? 'order']
      service.process.signal('SIGSTOP')
      await outage()
      service.process.signal('SIGCONT')
      return repaired(async () => {
        const ready = await waitUntil(async () => (await fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(1_000) })).ok, READY_TIMEOUT_MS)
        if (!ready) throw new Error(`${service.name} was not ready ${READY_TIMEOUT_MS / 1000} s after SIGCONT`)
      })
    }
    case 'poison': {
      f.injected = await injectPoison(stack.nats.url)
      f.endedAt = Date.now()
      // Measured aside: the next fault does not wait for the dead letters.
      background.push(
        (async () => {
          const wanted = (f.injected ?? []).map((i) => `${i.stream}/${i.seq}`)
          const seen = await waitUntil(async () => {
            const letters = new Set((await listDeadLetters(opts.orderUrl, opts.token)).map((d) => `${d.origin.stream}/${d.origin.seq}`))
            return wanted.every((w) => letters.has(w))
          }, READY_TIMEOUT_MS, 500)
          if (seen) f.readyAfterMs = Date.now() - f.endedAt
        })(),
      )
      return
    }
  }
}
