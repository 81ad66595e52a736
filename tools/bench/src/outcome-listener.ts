import { performance } from 'node:perf_hooks'
import type { Bus } from '@orderflow/messaging'

/** What finished an order's journey, seen on the bus. */
export interface Outcome {
  /** `performance.now()` when the event arrived at the benchmark. */
  at: number
  /** The outcome's name, e.g. `confirmed`, `failed`, `created`. */
  kind: string
  /** The failure reason of a failed saga (`OUT_OF_STOCK`, `TIMEOUT`, …). */
  reason?: string
}

/** Outcome events of every order, by order id, from the moment of subscribing. */
export interface OutcomeListener {
  get(orderId: string): Outcome | undefined
  /** Outcomes seen so far, including other clients' orders. */
  readonly size: number
  close(): Promise<void>
}

interface EnvelopeShape {
  subject?: unknown
  data?: { orderId?: unknown; reason?: unknown }
}

/**
 * Subscribes (core NATS, no consumer of ours on the streams) to the given outcome subjects,
 * mapping each subject to an outcome kind. The first outcome of an order wins: a redelivered
 * or replayed event must not move its time. Resolves once the server has the subscriptions, so
 * an order sent afterwards cannot finish unseen.
 */
export async function listenForOutcomes(nc: Bus['nc'], subjects: Readonly<Record<string, string>>): Promise<OutcomeListener> {
  const outcomes = new Map<string, Outcome>()
  const subs = Object.entries(subjects).map(([subject, kind]) =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return
        const at = performance.now()
        let envelope: EnvelopeShape
        try {
          envelope = msg.json<EnvelopeShape>()
        } catch {
          return
        }
        const orderId = typeof envelope.data?.orderId === 'string' ? envelope.data.orderId : envelope.subject
        if (typeof orderId !== 'string' || outcomes.has(orderId)) return
        const reason = envelope.data?.reason
        outcomes.set(orderId, typeof reason === 'string' ? { at, kind, reason } : { at, kind })
      },
    }),
  )
  await nc.flush()
  return {
    get: (orderId) => outcomes.get(orderId),
    get size() {
      return outcomes.size
    },
    async close() {
      for (const sub of subs) sub.unsubscribe()
      await nc.flush()
    },
  }
}
