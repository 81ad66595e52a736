import { makeEvent, type CloudEvent } from '@orderflow/contracts'
import { EVENT_SOURCE } from '../service-info.js'
import type { Outgoing } from './saga.js'

/** The envelopes of what the machine decided to send, all about one order and dated `now`. */
export function toEvents(orderId: string, send: readonly Outgoing[], now: Date): CloudEvent[] {
  return send.map((o) => makeEvent(o.definition, { source: EVENT_SOURCE, subject: orderId, time: now, data: o.data }))
}
