import type { EntityManager } from '@mikro-orm/postgresql'
import { isEventOf, OrderCancelRequested, OrderCreated, type CloudEvent } from '@orderflow/contracts'
import { sagaInputOf } from '../domain/saga-input.js'
import type { Clock } from '../domain/saga.js'
import { advanceSaga } from './apply-input.js'
import { requestCancel } from './request-cancel.js'
import { startOrderSaga } from './start-saga.js'
import type { SagaResult } from './saga-result.js'

/** What one consumed event does, in the caller's transaction (the inbox row commits with it). */
export async function handleSagaEvent(em: EntityManager, event: CloudEvent, clock: Clock): Promise<SagaResult> {
  if (isEventOf(OrderCreated, event)) return startOrderSaga(em, event.data, clock)
  if (isEventOf(OrderCancelRequested, event)) return requestCancel(em, event.data, clock)
  const input = sagaInputOf(event)
  if (!input) return { kind: 'ignored' }
  return advanceSaga(em, event.subject, input, clock)
}
