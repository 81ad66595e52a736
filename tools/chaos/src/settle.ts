import { setTimeout as sleep } from 'node:timers/promises'
import { ENDED, expectedMails } from './mail-check.js'
import { consumerBacklog } from './platform-api.js'
import type { PlatformDb } from './platform-db.js'

export interface SettleOptions {
  db: PlatformDb
  monitorUrl: string
  /** Mails received so far. */
  mailCount: () => number
  /** Ids of the orders answered 202: each must be found, ended. */
  acceptedIds: ReadonlySet<string>
  /** Epoch ms by which it must have settled: 60 s after the last fault. */
  deadline: number
  signal?: AbortSignal
}

export interface Settled {
  /** Epoch ms when everything had ended and nothing was left to do; null if the deadline came first. */
  settledAt: number | null
  /** What was still going on when it gave up. */
  busy: string
}

const POLL_MS = 1_000
/** After it looks settled: what a redelivery or a second send would still add shows up in this time. */
const QUIET_MS = 3_000

/**
 * Waits until every order has ended, every outbox is published, every consumer has settled its
 * messages and every mail an ended order calls for has arrived — or until the deadline. Reads that
 * fail (a server still coming back) count as not settled yet.
 */
export async function waitUntilSettled(opts: SettleOptions): Promise<Settled> {
  let busy = 'not looked yet'
  while (!opts.signal?.aborted) {
    busy = await whatIsBusy(opts).catch((error: unknown) => `cannot tell: ${error instanceof Error ? error.message : String(error)}`)
    if (busy === '') {
      const settledAt = Date.now()
      await sleep(QUIET_MS)
      return { settledAt, busy }
    }
    if (Date.now() >= opts.deadline) break
    await sleep(Math.min(POLL_MS, Math.max(0, opts.deadline - Date.now())))
  }
  return { settledAt: null, busy }
}

async function whatIsBusy(opts: SettleOptions): Promise<string> {
  const orders = await opts.db.orders()
  const found = new Set(orders.map((o) => o.id))
  const open = orders.filter((o) => !ENDED.has(o.status)).length + [...opts.acceptedIds].filter((id) => !found.has(id)).length
  if (open > 0) return `${open} orders have not ended`
  const work = await opts.db.unfinishedWork()
  if (work) return work
  const backlog = await consumerBacklog(opts.monitorUrl)
  if (backlog) return backlog
  const expected = orders.reduce((n, o) => n + expectedMails(o).length, 0)
  const received = opts.mailCount()
  return received >= expected ? '' : `${expected - received} mails not received yet`
}
