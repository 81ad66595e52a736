import { auditBooks, readBooks, type BooksReport } from '@orderflow/cli'
import type { Platform } from './platform.js'

/**
 * The saga's books (`orderflow books`' rules) for the given orders, every one of which must
 * have ended: an order still in flight counts as a violation here. Stock must be what it was
 * before minus what the orders took. Every end-to-end test ends with it.
 */
export async function checkConsistency(
  platform: Platform,
  orderIds: readonly string[],
  stockBefore: Readonly<Record<string, number>>,
): Promise<Pick<BooksReport, 'violations' | 'statuses'>> {
  const books = await readBooks(
    { order: platform.tb.order.url, inventory: platform.tb.inventory.url, payment: platform.tb.payment.url },
    { orderIds },
  )
  const report = auditBooks(books, { expectedOrderIds: orderIds, stockBefore })
  return { violations: [...report.violations, ...report.unfinished], statuses: report.statuses }
}
