import type { StockLevel, StockLine, StoredRejection } from './reservation-plan.js'
import type { HoldStatus, LineStatus } from './reservation-status.js'

/** An order's hold as a batch sees it: its verdict and the lines it holds (by SKU). */
export interface Hold {
  readonly orderId: string
  readonly status: HoldStatus
  readonly rejection: StoredRejection | null
  /** ISO timestamp; only a RESERVED hold has one. */
  readonly expiresAt: string | null
  readonly lines: readonly StockLine[]
}

/** A change to one SKU's counters, in units (either may be negative). */
export interface StockDelta {
  readonly sku: string
  readonly onHand: number
  readonly reserved: number
}

/** Everything a batch changed, ready for one write; every list is sorted by its key. */
export interface OrderBookChanges {
  /** Holds the batch created (the orders were new to the inventory), in their final state. */
  readonly created: readonly Hold[]
  /** Holds that existed and changed status; their lines take the same status. */
  readonly settled: readonly Hold[]
  /** The summed change per SKU, zero sums left out. */
  readonly deltas: readonly StockDelta[]
}

/** A counter would break `0 <= reserved <= on_hand`, or a SKU was not locked: a bug, never a verdict. */
export class StockInvariantError extends Error {
  override readonly name = 'StockInvariantError'
}

const bySku = (a: { sku: string }, b: { sku: string }) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)
const byOrder = (a: Hold, b: Hold) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0)

/**
 * The holds and stock levels one batch locked, kept in memory while its commands are applied
 * one after another in delivery order (a second command for an order sees what the first did),
 * and the record of what changed, written afterwards in one statement. Pure: no I/O. Order ids
 * are compared in lower case, as PostgreSQL prints UUIDs.
 */
export class OrderBook {
  readonly #holds = new Map<string, Hold>()
  readonly #levels = new Map<string, StockLevel>()
  readonly #created = new Set<string>()
  readonly #settled = new Set<string>()
  readonly #deltas = new Map<string, { onHand: number; reserved: number }>()

  constructor(holds: Iterable<Hold>, levels: Iterable<readonly [string, StockLevel]>) {
    for (const hold of holds) this.#holds.set(key(hold.orderId), hold)
    for (const [sku, level] of levels) this.#levels.set(sku, level)
  }

  /** The order's hold, or `undefined` when the inventory never heard of the order. */
  hold(orderId: string): Hold | undefined {
    return this.#holds.get(key(orderId))
  }

  /** The current counters of every locked SKU (unknown SKUs are absent). */
  levels(): ReadonlyMap<string, StockLevel> {
    return this.#levels
  }

  /** Records the first verdict on an order the inventory had not heard of. */
  open(hold: Hold): void {
    const id = key(hold.orderId)
    if (this.#holds.has(id)) throw new Error(`order ${hold.orderId} already has a hold`)
    this.#holds.set(id, { ...hold, orderId: id })
    this.#created.add(id)
  }

  /** Moves an order's hold (and so its lines) to `status`; only RESERVED holds keep a deadline. */
  settle(orderId: string, status: HoldStatus & LineStatus): void {
    const id = key(orderId)
    const hold = this.#holds.get(id)
    if (!hold) throw new Error(`order ${orderId} has no hold to settle`)
    this.#holds.set(id, { ...hold, status, expiresAt: status === 'RESERVED' ? hold.expiresAt : null })
    // A hold created in this batch is inserted in its final state: no update for it.
    if (!this.#created.has(id)) this.#settled.add(id)
  }

  /** Applies a change to a locked SKU's counters, refusing one the table's CHECK would refuse. */
  shift(sku: string, onHand: number, reserved: number): void {
    const level = this.#levels.get(sku)
    if (!level) throw new StockInvariantError(`stock of ${sku} changes but was not locked`)
    const next = { onHand: level.onHand + onHand, reserved: level.reserved + reserved }
    if (next.reserved < 0 || next.reserved > next.onHand) {
      throw new StockInvariantError(`stock of ${sku} would be ${next.onHand} on hand, ${next.reserved} reserved`)
    }
    this.#levels.set(sku, next)
    const sum = this.#deltas.get(sku) ?? { onHand: 0, reserved: 0 }
    this.#deltas.set(sku, { onHand: sum.onHand + onHand, reserved: sum.reserved + reserved })
  }

  changes(): OrderBookChanges {
    const pick = (ids: Set<string>) => [...ids].map((id) => this.#holds.get(id)).filter((h): h is Hold => h !== undefined).sort(byOrder)
    const deltas = [...this.#deltas]
      .map(([sku, d]) => ({ sku, ...d }))
      .filter((d) => d.onHand !== 0 || d.reserved !== 0)
      .sort(bySku)
    return { created: pick(this.#created), settled: pick(this.#settled), deltas }
  }
}

const key = (orderId: string) => orderId.toLowerCase()
