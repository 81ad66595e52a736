import type { OrderRow } from './platform-db.js'

/**
 * How long after a fault was repaired the platform had caught up with it: the moment every order
 * placed before the repair had ended and its last mail had arrived, minus the repair's time (0 if
 * all that was done already). Null when some such order never ended.
 */
export function caughtUpAfterMs(repairedAt: number, orders: readonly OrderRow[], mails: ReadonlyMap<string, readonly { at: number }[]>): number | null {
  let last = repairedAt
  for (const o of orders) {
    if (o.createdAt.getTime() >= repairedAt) continue
    if (!o.endedAt) return null
    last = Math.max(last, o.endedAt.getTime(), ...(mails.get(o.id) ?? []).map((m) => m.at))
  }
  return last - repairedAt
}
