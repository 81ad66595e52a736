import Type, { type Static } from 'typebox'
import { serviceSettings, type ServiceConfig } from '@orderflow/runtime'

/** Every environment variable the order service reads; the chart and `make up` set these. */
export const OrderConfigSchema = Type.Object({
  ...serviceSettings(8081),
  /** How long an Idempotency-Key is remembered. @default 86400 (24 h) */
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 60, default: 86_400 }),
  /** How long a saga step's command waits for its answer before it is sent again. @default 10000 */
  SAGA_STEP_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 10_000 }),
  /**
   * How long RESERVING or AUTHORIZING may go unanswered, re-sent every step timeout, before the
   * order fails with TIMEOUT: longer than any outage to ride out, shorter than inventory's
   * RESERVATION_TTL_SECONDS. @default 300000 (5 min)
   */
  SAGA_GIVE_UP_MS: Type.Integer({ minimum: 100, default: 300_000 }),
  /** How often the deadline sweep looks for due sagas. @default 1000 */
  SAGA_DEADLINE_SCAN_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  /** Due sagas the deadline sweep handles per transaction. @default 100 */
  SAGA_DEADLINE_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
  /** Whether this process runs the deadline sweep (any number of replicas may). @default true */
  SAGA_DEADLINE_WORKER_ENABLED: Type.Boolean({ default: true }),
  /** How long intake uses a SKU's price list before reading it again from the database. @default 1000 */
  PRICE_CACHE_TTL_MS: Type.Integer({ minimum: 1, maximum: 60_000, default: 1_000 }),
})

export type OrderConfig = Static<typeof OrderConfigSchema> & ServiceConfig
