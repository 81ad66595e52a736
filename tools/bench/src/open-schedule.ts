import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

/** One arrival of the open model: when it was due and when it actually left. */
export interface Arrival {
  /** 0-based position in the schedule. */
  index: number
  /** `performance.now()` at which it was due: start + index / rate. */
  dueAt: number
  /** `performance.now()` at which `send` was called. */
  sentAt: number
}

export interface OpenScheduleOptions {
  /** Arrivals per second, spaced evenly. */
  ratePerSecond: number
  /** Length of the schedule in milliseconds; `rate × duration` arrivals are sent. */
  durationMs: number
  /**
   * Starts one arrival's work. It must not block: the schedule never waits for an answer, so it
   * fires its request and keeps the promise itself.
   */
  send: (arrival: Arrival) => void
  /** Ends the schedule early (arrivals not yet due are not sent). @default never */
  signal?: AbortSignal
  /** Clock in milliseconds. @default performance.now */
  now?: () => number
}

export interface ScheduleOutcome {
  /** `now()` when the first arrival was due. */
  startedAt: number
  /** Arrivals sent. */
  sent: number
  /** How late each arrival left (sentAt − dueAt), in send order; the load generator's own error. */
  lagsMs: Float64Array
}

/**
 * Sends arrivals at a fixed rate whether or not earlier ones were answered (an open model, the
 * way independent customers arrive). Each due time is computed from the start, not from the
 * previous send, so timer jitter does not accumulate; when the process wakes late it sends every
 * arrival that has come due at once rather than letting the schedule drift.
 */
export async function runOpenSchedule(opts: OpenScheduleOptions): Promise<ScheduleOutcome> {
  if (!(opts.ratePerSecond > 0)) throw new RangeError(`rate must be positive, got ${opts.ratePerSecond}`)
  const now = opts.now ?? (() => performance.now())
  const intervalMs = 1000 / opts.ratePerSecond
  const total = Math.floor((opts.durationMs * opts.ratePerSecond) / 1000)
  const lagsMs = new Float64Array(total)
  const startedAt = now()
  let index = 0
  while (index < total && !opts.signal?.aborted) {
    const t = now()
    while (index < total && startedAt + index * intervalMs <= t) {
      const dueAt = startedAt + index * intervalMs
      const sentAt = now()
      lagsMs[index] = sentAt - dueAt
      opts.send({ index, dueAt, sentAt })
      index++
    }
    if (index < total) await sleep(Math.max(0, startedAt + index * intervalMs - now()))
  }
  return { startedAt, sent: index, lagsMs: lagsMs.subarray(0, index) }
}
