import { InboxMessage, OutboxMessage } from '@orderflow/db'
import { Shipment } from './shipment.entity.js'

/** Every table of the fulfillment database; migrations are generated from this list. */
export const fulfillmentEntities = [Shipment, OutboxMessage, InboxMessage]
