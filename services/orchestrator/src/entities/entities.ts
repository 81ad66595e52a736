import { InboxMessage, OutboxMessage } from '@orderflow/db'
import { EarlyCancel } from './early-cancel.entity.js'
import { Saga } from './saga.entity.js'

/** Every table of the orchestrator database; migrations are generated from this list. */
export const orchestratorEntities = [Saga, EarlyCancel, OutboxMessage, InboxMessage]
