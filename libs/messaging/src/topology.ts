import { Streams } from '@orderflow/contracts'
import { DAY_MS, DEAD_LETTER_DEFAULTS, DEFAULT_DUPLICATE_WINDOW_MS, deadLetterStreams, type ConsumerSpec, type StreamSpec } from './specs.js'
import { SpecError } from './messaging.errors.js'

/** Names of the dead-letter streams and the copier in one namespace. */
export interface DeadLetterTopology {
  readonly stream: string
  readonly subjectPrefix: string
  readonly advisoryStream: string
  readonly watchedStreams: readonly string[]
}

/**
 * The platform's streams, subjects and consumers in one namespace. The empty namespace is the
 * platform as the contracts name it (`ORDERS`, `order.evt.created`); namespace `blue` gives
 * `BLUE_ORDERS` and `blue.order.evt.created`, so several installations — a staging and a
 * development environment, or parallel test runs — share one NATS server without seeing each
 * other's messages. Durable names stay as declared: they are scoped to their stream.
 */
export interface Topology {
  readonly namespace: string
  /** A stream name in this namespace. */
  stream(name: string): string
  /** A subject (or a filter such as `order.evt.>`) in this namespace. */
  subject(subject: string): string
  /** Every stream: one per domain from the contracts, plus the dead-letter streams. */
  streams(replicas?: number): StreamSpec[]
  /** A consumer declaration moved into this namespace. */
  consumer(spec: ConsumerSpec): ConsumerSpec
  readonly deadLetters: DeadLetterTopology
}

const NAMESPACE = /^[a-z][a-z0-9]{0,15}$/

/** Builds the topology of a namespace; throws {@link SpecError} for an unusable name. */
export function createTopology(namespace = ''): Topology {
  if (namespace !== '' && !NAMESPACE.test(namespace)) {
    throw new SpecError(`namespace ${JSON.stringify(namespace)}`, ['must be 1 to 16 lower-case letters or digits, starting with a letter'])
  }
  const stream = (name: string) => (namespace ? `${namespace.toUpperCase()}_${name}` : name)
  const subject = (s: string) => (namespace ? `${namespace}.${s}` : s)
  const domain = Object.values(Streams).map((s) => s.name)
  const deadLetters: DeadLetterTopology = {
    stream: stream(DEAD_LETTER_DEFAULTS.stream),
    subjectPrefix: subject(DEAD_LETTER_DEFAULTS.subjectPrefix),
    advisoryStream: stream(DEAD_LETTER_DEFAULTS.advisoryStream),
    watchedStreams: domain.map(stream),
  }
  return {
    namespace,
    stream,
    subject,
    deadLetters,
    streams(replicas) {
      const all: StreamSpec[] = [
        // Domain streams keep a week, so a consumer that was down for days still catches up.
        ...Object.values(Streams).map((s) => ({
          name: stream(s.name),
          subjects: s.subjects.map(subject),
          maxAgeMs: 7 * DAY_MS,
          duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
        })),
        ...deadLetterStreams(deadLetters),
      ]
      return replicas === undefined ? all : all.map((s) => ({ ...s, replicas }))
    },
    consumer: (spec) => ({ ...spec, stream: stream(spec.stream), filterSubjects: spec.filterSubjects.map(subject) }),
  }
}

/** Every stream of the platform in the default namespace. */
export function platformStreams(replicas?: number): StreamSpec[] {
  return createTopology().streams(replicas)
}
