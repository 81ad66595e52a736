import type { Orm, OutboxPublisher, SqlDb } from '@orderflow/db'
import type { OrderMetrics } from '../order.metrics.js'
import { claimKeys, type Claim, type ClaimTimes, type KeyClaimRequest } from '../idempotency/idempotency-store.js'
import { batchWhileBusy } from './batch-while-busy.js'
import { insertPlacedOrders, type OrderToStore } from './place-order.sql.js'

/** The two writes of order intake, each shared by the requests that arrive while the database is busy. */
export interface IntakeWrites {
  /** Claims a request's Idempotency-Key (committed before the order is placed). */
  claim: (request: KeyClaimRequest) => Promise<Claim>
  /** Stores a placed order with its event and, for a keyed request, the response to replay. */
  store: (order: OrderToStore) => Promise<void>
}

/**
 * Two statements of each kind at a time: with the relay's and the reads' connections that stays
 * inside the pool of 10, and whatever arrives meanwhile goes into the next statement, up to 64
 * requests. `make bench --intake` measured what it buys (docs/benchmarks.md).
 */
const SLOTS_PER_WRITE = 2
const MAX_BATCH = 64

export interface IntakeDeps {
  readonly orm: Orm
  /** The statement that stores orders runs here, outside the ORM. */
  readonly db: SqlDb
  /** Publishes each stored order's messages as soon as its statement has committed. */
  readonly outbox: OutboxPublisher
  readonly times: ClaimTimes
  readonly metrics: OrderMetrics
}

export function intakeWrites({ orm, db, outbox, times, metrics }: IntakeDeps): IntakeWrites {
  return {
    claim: batchWhileBusy({
      slots: SLOTS_PER_WRITE,
      maxBatch: MAX_BATCH,
      write: (requests) => claimKeys(orm.em.fork(), requests, times),
      mayBeOneItem: refusedForSomeRow,
      onWrite: (requests) => metrics.intakeStatement('claim', requests),
    }),
    store: batchWhileBusy({
      slots: SLOTS_PER_WRITE,
      maxBatch: MAX_BATCH,
      write: async (orders) => {
        // One statement is one transaction: once it returns, the orders and their messages are committed.
        await insertPlacedOrders(db, orders)
        outbox.publishCommitted(orders.flatMap((o) => o.placed.outbox))
        return orders.map(() => undefined)
      },
      mayBeOneItem: refusedForSomeRow,
      onWrite: (orders) => metrics.intakeStatement('store', orders),
    }),
  }
}

/**
 * Whether PostgreSQL refused a batch for what may be one request's data — a data exception
 * (SQLSTATE class 22, e.g. a value too long) or a broken constraint (class 23) — rather than
 * for every request in it (a lost connection, a server shutting down).
 */
export function refusedForSomeRow(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)
}
