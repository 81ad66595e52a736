import Type, { type Static, type TSchema } from 'typebox'

/** Media type of every event's `data`: the platform speaks JSON only. */
export const EVENT_CONTENT_TYPE = 'application/json'

/**
 * The CloudEvents 1.0 envelope (structured mode, JSON) that every message on the bus carries.
 * `subject` is the id of the order the event is about, so one order's history can be followed
 * across streams; `data` is checked separately against the schema its `type` names.
 */
export const CloudEventEnvelope = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Type.String({ format: 'uuid' }),
    source: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.String({ pattern: '^orderflow\\.[a-z_]+\\.[a-z_]+\\.v[0-9]+$' }),
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    time: Type.String({ format: 'date-time' }),
    datacontenttype: Type.Literal(EVENT_CONTENT_TYPE),
    data: Type.Unknown(),
  },
  { additionalProperties: false },
)

/** A CloudEvent whose `data` is of type `T`. */
export type CloudEvent<T = unknown> = Omit<Static<typeof CloudEventEnvelope>, 'data'> & { data: T }

/** What a declared event or command is: its versioned type, NATS subject, stream and data schema. */
export interface MessageDefinition<S extends TSchema = TSchema> {
  /** Versioned CloudEvents type, e.g. `orderflow.order.created.v1`. */
  readonly type: string
  /** NATS subject it is published on, e.g. `order.evt.created`. */
  readonly subject: string
  /** Name of the stream that holds the subject. */
  readonly stream: string
  /** TypeBox schema of `data`. */
  readonly data: S
}

/** Declares an event or command; the literal types are kept so handlers get typed `data`. */
export function defineMessage<S extends TSchema>(definition: MessageDefinition<S>): MessageDefinition<S> {
  return Object.freeze(definition)
}

/** The static type of a definition's `data`. */
export type DataOf<D> = D extends MessageDefinition<infer S> ? Static<S> : never
