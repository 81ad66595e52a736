import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createOrderApi, priceSkus } from '@orderflow/bench'
import { ALL_ROLES, auditBooks, readBooks, signDevToken } from '@orderflow/cli'
import { runChecks } from './checks.js'
import { createCleanup, type Cleanup } from './cleanup.js'
import { planFaults, type Profile } from './fault-plan.js'
import { runFaults } from './fault-runner.js'
import { driveOrders, type SentOrder } from './load-driver.js'
import { auditMails, mailsByOrder } from './mail-check.js'
import { CUSTOMER_PREFIX, PLENTIFUL_SKUS, PLENTIFUL_UNITS, SCARCE_SKU, scarceUnits } from './order-mix.js'
import { listDeadLetters, longestAckWaitMs } from './platform-api.js'
import { openPlatformDb } from './platform-db.js'
import { SERVICE_NAMES, type CodeSource } from './platform-services.js'
import { caughtUpAfterMs } from './recovery.js'
import { slowOrders, summarizeOrders, toFaultReport, traceOrders } from './result-figures.js'
import type { ChaosResult } from './results.js'
import { waitUntilSettled } from './settle.js'
import { startStack } from './stack.js'

export interface ChaosOptions {
  /** The repository. */
  root: string
  profile: Profile
  durationS: number
  /** Orders per second. */
  rate: number
  source: CodeSource
  /** Where the processes' logs go (created); kept. */
  logDir: string
  /** The services' LOG_LEVEL. @default warn */
  logLevel?: string
  /** For the result: how the run was asked for. */
  command: string
  log: (line: string) => void
  /** Stops the load and the faults; the run then cleans up and throws. */
  signal?: AbortSignal
}

/** Every accepted order must have ended this long after the last fault was repaired. */
export const END_WITHIN_MS = 60_000
/** A stall outlasts the consumers' longest ack wait by this much, so their messages go out again. */
const STALL_BEYOND_ACK_WAIT_MS = 5_000
/** What the plan assumes before the servers can be asked: the consumers' default ack wait. */
const ASSUMED_ACK_WAIT_MS = 30_000

/**
 * The chaos run: starts a platform of its own, drives orders through it while breaking it on a
 * schedule, waits for it to settle and checks what the platform promises. Everything it started
 * is stopped and removed at the end, whether it passed, failed or was interrupted.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  // A duration too short for the plan fails here, before anything is started.
  planFaults({ durationMs: o.durationS * 1000, profile: o.profile, stallMs: ASSUMED_ACK_WAIT_MS + STALL_BEYOND_ACK_WAIT_MS })
  mkdirSync(o.logDir, { recursive: true })
  const cleanup = createCleanup()
  try {
    return await run(o, cleanup)
  } finally {
    for (const problem of await cleanup.run()) o.log(`cleanup: ${problem}`)
  }
}

async function run(o: ChaosOptions, cleanup: Cleanup): Promise<ChaosResult> {
  const startedAt = new Date()
  o.log(`starting PostgreSQL, nats-server and the services (${o.source}); logs in ${o.logDir}`)
  const stack = await startStack({ root: o.root, logDir: o.logDir, source: o.source, logLevel: o.logLevel ?? 'warn', cleanup, log: o.log })
  const stallMs = (await longestAckWaitMs(stack.nats.monitorUrl)) + STALL_BEYOND_ACK_WAIT_MS
  const plan = planFaults({ durationMs: o.durationS * 1000, profile: o.profile, stallMs })

  const token = signDevToken({ secret: stack.jwtSecret, roles: ALL_ROLES, subject: 'orderflow-chaos', ttlSeconds: 86_400 })
  const orderUrl = stack.services.order.url
  const api = createOrderApi({ orderUrl, inventoryUrl: stack.services.inventory.url, token, connections: 64 })
  cleanup.add('close the order API client', () => api.close())
  const total = Math.floor(o.durationS * o.rate)
  const stockBefore: Record<string, number> = { [SCARCE_SKU]: scarceUnits(total) }
  for (const sku of PLENTIFUL_SKUS) stockBefore[sku] = PLENTIFUL_UNITS
  for (const [sku, units] of Object.entries(stockBefore)) await api.setStock(sku, units, 'chaos run stock')
  await priceSkus({ api, orderDatabaseUrl: `${stack.postgres.urlBase}/orderflow_order`, skus: Object.keys(stockBefore), viaInventory: true })
  const db = openPlatformDb(stack.postgres.urlBase, SERVICE_NAMES, o.log)
  cleanup.add('close the database pools', () => db.close())

  o.log(`driving ${total} orders at ${o.rate}/s for ${o.durationS} s; ${plan.length} faults`)
  const t0 = Date.now()
  const sent: SentOrder[] = []
  const progress = setInterval(() => {
    const accepted = sent.filter((s) => s.result?.kind === 'accepted').length
    o.log(`   t=${Math.round((Date.now() - t0) / 1000)} s  ${sent.length} sent, ${accepted} accepted`)
  }, 10_000)
  const signal = o.signal ? { signal: o.signal } : {}
  const [, faults] = await Promise.all([
    driveOrders({ api, orderUrl, token, rate: o.rate, durationMs: o.durationS * 1000, keyPrefix: `chaos-${t0}`, ...signal }, sent),
    runFaults(plan, { stack, t0, orderUrl, token, log: o.log, ...signal }),
  ]).finally(() => clearInterval(progress))
  if (o.signal?.aborted) throw new Error('interrupted')

  const lastFaultEnd = Math.max(t0, ...faults.map((f) => f.endedAt))
  const acceptedIds = new Set(sent.flatMap((s) => (s.result?.kind === 'accepted' ? [s.result.orderId] : [])))
  o.log(`load done; waiting for every order to end (at most ${END_WITHIN_MS / 1000} s after the last fault)`)
  const settled = await waitUntilSettled({ db, monitorUrl: stack.nats.monitorUrl, mailCount: () => stack.smtp.mails.length, acceptedIds, deadline: lastFaultEnd + END_WITHIN_MS, ...signal })
  if (o.signal?.aborted) throw new Error('interrupted')

  const orders = await db.orders()
  const notifications = await db.notifications()
  const mailAudit = auditMails(orders, stack.smtp.mails, notifications)
  const books = auditBooks(await readBooks({ order: db.urls.order, inventory: db.urls.inventory, payment: db.urls.payment }, { customerPrefix: CUSTOMER_PREFIX }), {
    expectedOrderIds: [...acceptedIds],
    stockBefore,
  })
  const deadLetters = await listDeadLetters(orderUrl, token)
  const injected = faults.flatMap((f) => f.injected ?? [])
  const checks = runChecks({ sent, orders, settled, lastFaultEnd, endWithinMs: END_WITHIN_MS, books, mails: mailAudit, deadLetters, injected, unexpectedExits: stack.unexpectedExits })

  const mails = mailsByOrder(stack.smtp.mails, notifications)
  const timelines = await db.timelines(slowOrders(orders, mails))
  return {
    command: o.command,
    startedAt: startedAt.toISOString(),
    settings: { profile: o.profile, durationS: o.durationS, rate: o.rate, source: o.source, stallS: stallMs / 1000, endWithinS: END_WITHIN_MS / 1000 },
    machine: { cpus: availableParallelism(), node: process.version },
    faults: faults.map((f) => toFaultReport(f, t0, caughtUpAfterMs(f.endedAt, orders, mails))),
    orders: summarizeOrders(sent, orders),
    mailsReceived: stack.smtp.mails.length,
    deadLetters: deadLetters.length,
    settledAfterS: settled.settledAt === null ? null : (settled.settledAt - lastFaultEnd) / 1000,
    checks,
    passed: checks.every((c) => c.passed),
    logDir: o.logDir,
    perOrder: traceOrders(sent, orders, timelines, mails),
  }
}
