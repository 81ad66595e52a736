import { randomUUID } from 'node:crypto'
import type { Static, TSchema } from 'typebox'
import { EVENT_CONTENT_TYPE, type CloudEvent, type MessageDefinition } from './envelope.js'

export interface NewEvent<S extends TSchema> {
  /** The producing service, e.g. `orderflow/order`. */
  readonly source: string
  /** The order the event is about. */
  readonly subject: string
  readonly data: Static<S>
  /** @default a random UUID */
  readonly id?: string
  /** @default now */
  readonly time?: Date
}

/** Builds the envelope of a new event of the given definition. */
export function makeEvent<S extends TSchema>(definition: MessageDefinition<S>, e: NewEvent<S>): CloudEvent<Static<S>> {
  return {
    specversion: '1.0',
    id: e.id ?? randomUUID(),
    source: e.source,
    type: definition.type,
    subject: e.subject,
    time: (e.time ?? new Date()).toISOString(),
    datacontenttype: EVENT_CONTENT_TYPE,
    data: e.data,
  }
}
