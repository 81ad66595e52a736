import { auditBooks, readBooks, type BooksDatabases } from '@orderflow/cli'
import type { BooksCheck } from './results.js'

/** The benchmark's customers: `bench-customer-<n>` (see orderBody). */
export const BENCH_CUSTOMER_PREFIX = 'bench-customer-'
/** Broken rules kept in the result; the count says how many there were in all. */
const KEPT_VIOLATIONS = 50

/**
 * The books of every order the benchmark placed since `since`: fast is worth nothing if the
 * saga's promise broke on the way. Each benchmark SKU was set to `stockUnits` before the first
 * order, so what is on hand must be that minus what the orders took.
 */
export async function checkBenchBooks(databases: BooksDatabases, since: Date, skus: readonly string[], stockUnits: number): Promise<BooksCheck> {
  const books = await readBooks(databases, { since, customerPrefix: BENCH_CUSTOMER_PREFIX })
  const report = auditBooks(books, { stockBefore: Object.fromEntries(skus.map((sku) => [sku, stockUnits])) })
  return {
    statuses: report.statuses,
    violationCount: report.violations.length,
    violations: report.violations.slice(0, KEPT_VIOLATIONS),
    unfinished: report.unfinished.length,
  }
}
