/**
 * @orderflow/messaging — everything about NATS JetStream: the connection, the streams and
 * consumers declared once and provisioned idempotently, a validating and tracing publisher, a
 * consumer runner with retries and dead letters, and the operators' dead-letter API.
 */
export { connectBus } from './bus.js'
export type { Bus, BusOptions } from './bus.js'

export {
  DEAD_LETTER_DEFAULTS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  MAX_DELIVERIES_ADVISORY,
  SHORT_TRANSACTION_DELIVERY,
  deadLetterStreams,
  resolveConsumerSpec,
  retryDelayMs,
} from './specs.js'
export type { ConsumerSpec, DeadLetterNames, ResolvedConsumerSpec, StreamSpec } from './specs.js'

export { createTopology, platformStreams } from './topology.js'
export type { DeadLetterTopology, Topology } from './topology.js'

export { provision } from './provision.js'
export type { ProvisionAction, ProvisionOptions, ProvisionPlan, ProvisionReport } from './provision.js'

export { createPublisher } from './publisher.js'
export type { PublishOptions, PublishOutcome, PublishRequest, Publisher, PublisherOptions } from './publisher.js'

export type { Consumer, Delivery, Transact } from './consumer.js'
export { runConsumer } from './consumer-runner.js'
export type { ConsumerRunner, RunConsumerOptions } from './consumer-runner.js'

export { createDeadLetters } from './dead-letters.js'
export type { DeadLetterListOptions, DeadLetterRecord, DeadLetters, DeadLettersOptions, DeliveryKey, ReplayResult } from './dead-letters.js'
export { DLQ_HEADERS, REPLAY_OF_HEADER } from './dead-letter-headers.js'
export { deadLetterView } from './dead-letter-view.js'
export type { DeadLetterView } from './dead-letter-view.js'
export type { DeadLetter, DeadLetterOrigin, DeadLetterReason } from './dead-letter-headers.js'
export { deadLetterCopierConsumer, startDeadLetterCopier } from './dead-letter-copier.js'
export type { DeadLetterCopier, DeadLetterCopierOptions } from './dead-letter-copier.js'

export {
  BusConnectError,
  DeadLetterNotFoundError,
  PermanentError,
  ProvisioningError,
  PublishError,
  SpecError,
} from './messaging.errors.js'
