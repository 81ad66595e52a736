import type fc from 'fast-check'
import type { FuzzRequest } from './oracle.js'

/** What the platform holds before the fuzz starts, so requests reach found as well as missing things. */
export interface Seeds {
  /** Orders that exist, in every state the seeding reached. */
  readonly orderIds: readonly string[]
  /** `nextCursor`s of real order lists, with and without filters. */
  readonly orderCursors: readonly string[]
  /** SKUs with stock, priced at 1250 EUR. */
  readonly skus: readonly string[]
  /** A SKU priced at 10^11 EUR, the most an event carries: its orders reach the total's limit. */
  readonly expensiveSku: string
  readonly stockCursors: readonly string[]
  /** Sequences of dead letters recorded for the fuzz (some are replayed or deleted on the way). */
  readonly deadLetterSeqs: readonly number[]
}

/** One public route (or a family of them) and how many requests it gets. */
export interface RouteFuzz {
  readonly name: string
  readonly runs: number
  readonly request: fc.Arbitrary<FuzzRequest>
}
