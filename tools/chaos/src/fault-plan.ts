import type { ServiceName } from './platform-services.js'

/** The kinds of harm a run does. */
export type FaultKind = 'kill-service' | 'kill-nats' | 'stop-postgres' | 'stall-service' | 'poison'

/** One fault of the plan: what, to whom, when (from the first order) and for how long. */
export interface PlannedFault {
  kind: FaultKind
  /** The service killed or stalled. */
  target?: ServiceName
  atMs: number
  /** From the harm to the repair: kill to restart, stop to start, SIGSTOP to SIGCONT; 0 for poison. */
  outageMs: number
}

export type Profile = 'short' | 'full'

export interface PlanOptions {
  /** Length of the load. */
  durationMs: number
  /** `short`: one fault of each kind (make test); `full`: every service killed in turn, rounds repeated while they fit. */
  profile: Profile
  /** How long a stall lasts: longer than the consumers' longest ack wait. */
  stallMs: number
}

/** A killed service comes back after this: about what a kubelet's restart takes. */
export const SERVICE_DOWN_MS = 2_000
/**
 * How long the broker and the database stay down. A full run holds them down for the 30 s the
 * platform promises to ride out without failing an order (issue 11); the short one, in make test,
 * for as long as the first run did (~5 s and ~9 s), to stay short.
 */
export const NATS_DOWN_MS: Record<Profile, number> = { short: 5_000, full: 30_000 }
export const POSTGRES_DOWN_MS: Record<Profile, number> = { short: 8_000, full: 30_000 }
/** Load before the first fault (a baseline), and after the last one ends (orders placed on a healed system). */
const EDGE_MS: Record<Profile, number> = { short: 5_000, full: 10_000 }
/** Faults closer than this would be one long fault; a run too short for that is refused. */
const MIN_GAP_MS = 3_000
/** A full run repeats its round while each fault still gets this much quiet after it. */
const PREFERRED_GAP_MS = 10_000
/** Stalled in turn, one per round; inventory first (its reservations are the saga's first step). */
const STALL_ROTATION: readonly ServiceName[] = ['inventory', 'payment', 'order', 'fulfillment', 'notification']

type Fault = Omit<PlannedFault, 'atMs'>

export class PlanError extends Error {
  override readonly name = 'PlanError'
}

function round(profile: Profile, r: number, stallMs: number): Fault[] {
  const kill = (target: ServiceName): Fault => ({ kind: 'kill-service', target, outageMs: SERVICE_DOWN_MS })
  const stall: Fault = { kind: 'stall-service', target: STALL_ROTATION[r % STALL_ROTATION.length] ?? 'inventory', outageMs: stallMs }
  const nats: Fault = { kind: 'kill-nats', outageMs: NATS_DOWN_MS[profile] }
  const postgres: Fault = { kind: 'stop-postgres', outageMs: POSTGRES_DOWN_MS[profile] }
  const poison: Fault = { kind: 'poison', outageMs: 0 }
  // Short: payment is the one killed, where a repeated provider call would charge twice.
  if (profile === 'short') return [kill('payment'), nats, postgres, poison, stall]
  return [kill('order'), nats, kill('inventory'), postgres, kill('payment'), poison, kill('fulfillment'), stall, kill('notification')]
}

const outageOf = (faults: readonly Fault[]) => faults.reduce((sum, f) => sum + f.outageMs, 0)

/**
 * Spreads the faults over the run, one at a time, with equal quiet gaps between them: a full run
 * takes as many rounds as fit with 10 s gaps (at least one). Throws {@link PlanError} when not
 * even one round fits with 3 s gaps.
 */
export function planFaults(opts: PlanOptions): PlannedFault[] {
  const edge = EDGE_MS[opts.profile]
  const room = opts.durationMs - 2 * edge
  const first = round(opts.profile, 0, opts.stallMs)
  const needed = outageOf(first) + first.length * MIN_GAP_MS
  if (room < needed) throw new PlanError(`a ${opts.profile} run needs at least ${Math.ceil((needed + 2 * edge) / 1000)} s of load; got ${opts.durationMs / 1000} s`)
  const rounds = [first]
  if (opts.profile === 'full') {
    for (;;) {
      const more = [...rounds, round(opts.profile, rounds.length, opts.stallMs)].flat()
      if (outageOf(more) + more.length * PREFERRED_GAP_MS > room) break
      rounds.push(round(opts.profile, rounds.length, opts.stallMs))
    }
  }
  const faults = rounds.flat()
  const gap = (room - outageOf(faults)) / faults.length
  let at = edge
  return faults.map((f) => {
    const planned = { ...f, atMs: Math.round(at) }
    at += f.outageMs + gap
    return planned
  })
}

/** A fault as a person reads it: `kill -9 payment`, `SIGSTOP inventory 35 s`. */
export function describeFault(f: Pick<PlannedFault, 'kind' | 'target' | 'outageMs'>): string {
  const s = (ms: number) => `${Math.round(ms / 100) / 10} s`
  switch (f.kind) {
    case 'kill-service':
      return `kill -9 ${f.target ?? '?'}, restart after ${s(f.outageMs)}`
    case 'kill-nats':
      return `kill -9 nats-server, restart after ${s(f.outageMs)}`
    case 'stop-postgres':
      return `PostgreSQL stop -m immediate, start after ${s(f.outageMs)}`
    case 'stall-service':
      return `SIGSTOP ${f.target ?? '?'}, SIGCONT after ${s(f.outageMs)}`
    case 'poison':
      return 'poison messages on command subjects'
  }
}
