import type { BatchDelivery, HandlerContext } from '@orderflow/messaging'
import { createLogger } from '@orderflow/telemetry'

type CloudEvent = BatchDelivery['event']

/** What the consumer runner hands a handler, for calling a handler directly in a test. */
export function handlerContext(deliveryCount = 1): HandlerContext {
  return { deliveryCount, subject: 'test', streamSeq: 1, headers: {}, logger: createLogger({ serviceName: 'test', level: 'silent' }) }
}

/**
 * The events as the consumer runner hands them to a batch handler, for calling one directly:
 * each with its own context; `traced` runs the work as it is (no tracer in these tests).
 */
export function batchOf(events: readonly CloudEvent[]): BatchDelivery[] {
  return events.map((event) => ({ event, context: handlerContext(), traced: (fn) => fn() }))
}
