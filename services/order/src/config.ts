import Type from 'typebox'
import { serviceSettings } from '@orderflow/runtime'

/** Every environment variable the order service reads; the chart and `make up` set these. */
export const OrderConfigSchema = Type.Object({
  ...serviceSettings(8081),
  /** How long an Idempotency-Key is remembered. @default 86400 (24 h) */
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 60, default: 86_400 }),
})
