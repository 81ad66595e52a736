import type { Logger } from 'pino'
import type { PaymentProvider } from '../provider/payment-provider.js'
import type { FailedCallLog } from '../repositories/failed-call-log.js'

/** What the payment commands need besides the batch's transaction. */
export interface CommandDeps {
  /** The resilient client (timeout, retries, breaker), one per process. */
  readonly provider: PaymentProvider
  readonly failedCalls: FailedCallLog
  readonly logger: Logger
}
