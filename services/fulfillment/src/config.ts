import Type from 'typebox'
import { serviceSettings } from '@orderflow/runtime'

/** Every environment variable the fulfillment service reads; the chart and `make up` set these. */
export const FulfillmentConfigSchema = Type.Object({
  ...serviceSettings(8085),
  /** Simulated picking time: from PICKING to SHIPPED. @default 2000 */
  FULFILLMENT_SHIP_AFTER_MS: Type.Integer({ minimum: 0, default: 2_000 }),
  /** Simulated transit time: from SHIPPED to DELIVERED. @default 3000 */
  FULFILLMENT_DELIVER_AFTER_MS: Type.Integer({ minimum: 0, default: 3_000 }),
  /** How often the scheduler looks for shipments whose next step is due. @default 500 */
  FULFILLMENT_SCHEDULER_INTERVAL_MS: Type.Integer({ minimum: 10, default: 500 }),
  /** Shipments one scheduler transaction claims and advances at most. @default 100 */
  FULFILLMENT_SCHEDULER_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
})
