import { makeEvent, type CloudEvent } from '@orderflow/contracts'
import type { FailureReason, Outgoing, SagaOutcome, SagaState } from '../domain/saga.js'
import { EVENT_SOURCE } from '../service-info.js'

/** What handling one input did, for the handler's log and the metrics. */
export type SagaResult =
  | { readonly kind: 'applied'; readonly orderId: string; readonly state: SagaState; readonly outcome?: SagaOutcome | undefined; readonly failureReason?: FailureReason | null | undefined; readonly startedAt: Date }
  | { readonly kind: 'ignored'; readonly state?: SagaState }
  | { readonly kind: 'remembered' }
  | { readonly kind: 'unknown-saga' }

/** The envelopes of what the machine decided to send, all about one order and dated now. */
export function toEvents(orderId: string, send: readonly Outgoing[], now: Date): CloudEvent[] {
  return send.map((o) => makeEvent(o.definition, { source: EVENT_SOURCE, subject: orderId, time: now, data: o.data }))
}
