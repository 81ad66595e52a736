import Type from 'typebox'
import { serviceSettings } from '@orderflow/runtime'

/** Every environment variable the inventory service reads; the chart and `make up` set these. */
export const InventoryConfigSchema = Type.Object({
  ...serviceSettings(8083),
  /**
   * How long a reservation holds stock without a commit or release. The saga's own deadlines
   * are much shorter; this only catches a saga that lost track of an order. @default 900 (15 min)
   */
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /** How often the expiry worker looks for overdue reservations. @default 30000 */
  RESERVATION_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 10, default: 30_000 }),
  /** Orders the expiry worker releases per transaction. @default 100 */
  RESERVATION_SWEEP_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
})
