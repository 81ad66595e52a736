import { setTimeout as sleep } from 'node:timers/promises'
import { booksDatabases, signDevToken } from '@orderflow/cli'
import { OrderCancelled, OrderConfirmed, OrderCreated, OrderFailed } from '@orderflow/contracts'
import { connectBus, createTopology } from '@orderflow/messaging'
import { pino } from 'pino'
import { BENCH_CUSTOMER_PREFIX, checkBenchBooks } from './books-check.js'
import { readBusSnapshot, readDeliveryCounters } from './bus-stats.js'
import { connectDatabaseStats, type DatabaseStats } from './db-stats.js'
import { declaredServices, liveServices, readDevSecret, replicaCount, replicaUrls, runDevScript, type ServicePids } from './local-system.js'
import { INTAKE_SANDBOX, removeSandbox, sandboxEnv } from './intake-sandbox.js'
import { BENCH_PRICE, priceSkus } from './price-skus.js'
import { readMachineInfo } from './machine-info.js'
import type { BenchOptions } from './options.js'
import { createOrderApi } from './order-api.js'
import { listenForOutcomes } from './outcome-listener.js'
import { platformClassifier } from './process-groups.js'
import { connectStatementCounter, type StatementCounter } from './statement-stats.js'
import { runRate, type RateRunContext } from './rate-run.js'
import type { BenchResult, BooksCheck, RateRun, RateSummary } from './results.js'
import { summarizeRate } from './summarize-runs.js'
import { formatMs, highestSustainable, judgeRate, judgeRun } from './verdict.js'

export interface BenchEnvironment {
  /** The repository: where .run/ and tools/dev/ are. */
  root: string
  env: NodeJS.ProcessEnv
  log: (line: string) => void
  signal?: AbortSignal
}

/** Units each benchmark SKU is set to: far more than any run orders, within the API's maximum. */
const STOCK_UNITS = 1_000_000_000
/** Pause between runs, so one run's tail does not overlap the next one's warm-up. */
const COOL_DOWN_MS = 2_000
/**
 * How often a run vacuums or analyzes the tables that have become due. The VACUUM (ANALYZE)
 * before a run records a fresh database's tables as empty; autovacuum, where it runs at all,
 * looks only once a minute, so the benchmark keeps the statistics it set itself fresh within
 * seconds, whatever the server's settings.
 */
const HOUSEKEEPING_INTERVAL_MS = 2_000

/**
 * Runs a whole benchmark: makes sure the system runs (starting it, and stopping it afterwards,
 * only when nothing was running), stocks the SKUs, listens for outcomes, then runs each rate.
 */
export async function runBenchmark(opts: BenchOptions, envt: BenchEnvironment): Promise<BenchResult> {
  const { settings } = opts
  const { log } = envt
  const machine = readMachineInfo()
  const startedAt = new Date()
  const { pids, startedByUs, sandboxed } = await ensureSystem(envt, settings.intake)
  const bus = await connectBus({ servers: envt.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'orderflow-bench', logger: pino({ level: 'warn' }) })
  const replicas = replicaCount(pids)
  const api = createOrderApi({
    // Every order replica gets its share, as a Kubernetes Service would spread them.
    orderUrl: replicaUrls(opts.orderUrl, pids.get('order')?.length ?? 1),
    inventoryUrl: opts.inventoryUrl,
    token: signDevToken({ secret: readDevSecret(envt.root, envt.env), roles: ['orders:write', 'inventory:write'], subject: 'bench', ttlSeconds: 86_400 }),
    connections: settings.connections,
  })
  const pgUrlBase = envt.env.PG_URL_BASE ?? 'postgres://postgres@127.0.0.1:5432'
  // tools/dev/up names the databases <ORDERFLOW_DB_PREFIX>_<service>; the intake sandbox's share the default prefix.
  const databasePrefix = `${envt.env.ORDERFLOW_DB_PREFIX ?? 'orderflow'}_`
  const dbStats = await connectDatabaseStats(pgUrlBase, { databasePrefix }).catch((error: unknown) => {
    log(`no database statistics (${error instanceof Error ? error.message : String(error)}): per-order database work is not reported`)
    return undefined
  })
  const statements = await statementSource(pgUrlBase, databasePrefix, dbStats !== undefined, log)
  try {
    const database = (await dbStats?.settings()) ?? null
    const topology = createTopology(sandboxed ? INTAKE_SANDBOX.namespace : (envt.env.NATS_NAMESPACE ?? ''))
    const createdSubject = topology.subject(OrderCreated.subject)
    const skus = Array.from({ length: settings.skus }, (_, i) => `BENCH-SKU-${String(i + 1).padStart(3, '0')}`)
    // Intake mode may run without the inventory service; when it runs, the saga needs stock too.
    if (pids.has('inventory')) {
      log(`stocking ${skus.length} SKUs`)
      for (const sku of skus) await api.setStock(sku, STOCK_UNITS, 'bench stock')
    }
    log(`pricing ${skus.length} SKUs${pids.has('inventory') ? '' : ' (in the order database: no inventory service runs)'}`)
    await priceSkus({ api, orderDatabaseUrl: `${pgUrlBase}/${databasePrefix}order`, skus, viaInventory: pids.has('inventory') })
    const outcomes = await listenForOutcomes(
      bus.nc,
      settings.intake
        ? { [createdSubject]: 'created' }
        : { [topology.subject(OrderConfirmed.subject)]: 'confirmed', [topology.subject(OrderFailed.subject)]: 'failed', [topology.subject(OrderCancelled.subject)]: 'cancelled' },
    )
    const ctx: RateRunContext = {
      api,
      outcomes,
      successKinds: settings.intake ? ['created'] : ['confirmed'],
      busSnapshot: () => readBusSnapshot(bus.jsm, topology, createdSubject),
      ...(dbStats ? { databaseSnapshot: () => dbStats.snapshot() } : {}),
      deliveryCounters: () => readDeliveryCounters(bus.jsm, topology),
      statements,
      // A service's replicas are one group: the figures are the service's, however many processes it runs.
      classify: platformClassifier(new Map([...pids].flatMap(([name, list]) => list.map((pid) => [pid, name] as const))), process.pid, databasePrefix),
      orderBody: (n) => orderBody(n, skus),
      keyPrefix: `bench-${startedAt.getTime().toString(36)}`,
      log,
    }
    const initialBacklog = (await ctx.busSnapshot()).consumerBacklog
    // Who vacuums before each run and, during it, what autovacuum's thresholds call due.
    const housekeeper = settings.vacuum ? dbStats : undefined
    const runs: RateRun[] = []
    const summaries: RateSummary[] = []
    let stoppedEarly: string | null = null
    for (const rate of settings.rates) {
      const rateRuns: RateRun[] = []
      for (let k = 1; k <= settings.runs && !envt.signal?.aborted; k++) {
        try {
          const run = await runOnce(ctx, opts, housekeeper, { rate, k, label: String(runs.length + rateRuns.length + 1), initialBacklog }, envt.signal)
          rateRuns.push(run)
          log(`  ${describeRun(run, settings.intake)}`)
        } catch (error) {
          // Keep what was measured: the runs so far are still written out and reported.
          stoppedEarly = `rate ${rate}/s run ${k}: ${error instanceof Error ? error.message : String(error)}`
          log(`stopping early: ${stoppedEarly}`)
          break
        }
        await sleep(COOL_DOWN_MS)
      }
      if (rateRuns.length === 0) break
      runs.push(...rateRuns)
      const summary = summarizeRate(rateRuns, judgeRate(rateRuns.map((r) => judgeRun(r, settings.thresholds, settings.intake))))
      summaries.push(summary)
      log(`  ${rate}/s: ${summary.verdict.sustainable ? 'sustainable' : `NOT sustainable (${summary.verdict.reasons.join('; ')})`}`)
      if (settings.mode === 'step' && !summary.verdict.sustainable) break
      if (envt.signal?.aborted) stoppedEarly ??= 'interrupted'
      if (stoppedEarly !== null) break
    }
    await outcomes.close()
    const books = settings.intake || !pids.has('inventory') ? undefined : await checkBooks(ctx, envt, { since: startedAt, skus, initialBacklog, drainTimeoutSeconds: settings.drainTimeoutSeconds })
    return {
      version: 1,
      id: startedAt.toISOString().replace(/[:.]/g, '-'),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine,
      services: [...pids.keys()].sort(),
      replicas,
      database,
      statements: typeof statements === 'string' ? statements : statementsText(statements),
      settings,
      ...(housekeeper ? { vacuumDuringRunsSeconds: HOUSEKEEPING_INTERVAL_MS / 1000 } : {}),
      summaries,
      highestSustainable: settings.mode === 'step' ? highestSustainable(summaries) : null,
      stoppedEarly,
      runs,
      ...(books ? { books } : {}),
    }
  } finally {
    if (typeof statements === 'object') await statements.close().catch(() => {})
    await dbStats?.close()
    await api.close()
    if (startedByUs) {
      log('stopping the system the benchmark started (tools/dev/down)')
      await runDevScript(envt.root, 'down', log)
    }
    if (sandboxed) {
      log(`removing the intake sandbox (namespace ${INTAKE_SANDBOX.namespace}, database ${INTAKE_SANDBOX.databasePrefix}_order)`)
      await removeSandbox(bus.jsm, envt.env.PG_URL_BASE ?? 'postgres://postgres@127.0.0.1:5432')
    }
    await bus.close()
  }
}

/**
 * pg_stat_statements for the platform's databases when the server collects it (the extension is
 * created in each), or the reason it is not measured; the benchmark runs either way.
 */
async function statementSource(pgUrlBase: string, databasePrefix: string, reachable: boolean, log: (line: string) => void): Promise<StatementCounter | string> {
  if (!reachable) return 'not measured (no PostgreSQL statistics)'
  const source = await connectStatementCounter(pgUrlBase, { databasePrefix }).catch(
    (error: unknown) => `not measured (${error instanceof Error ? error.message : String(error)})`,
  )
  if (typeof source === 'string') {
    log(`statements per order: ${source}`)
    return source
  }
  log(`statements per order: ${statementsText(source)}`)
  for (const refusal of source.refusals) log(`  pg_stat_statements not created in ${refusal}`)
  return source
}

function statementsText(source: StatementCounter): string {
  return (
    `pg_stat_statements (track ${source.track}) in ${source.databases.join(', ')}` +
    (source.ownStatementsExcluded ? '' : " (the benchmark's own readings count too: pg_stat_statements.track could not be set for its session)")
  )
}

/** One run of one rate: settle, vacuum, then measure. */
async function runOnce(
  ctx: RateRunContext,
  opts: BenchOptions,
  housekeeper: DatabaseStats | undefined,
  run: { rate: number; k: number; label: string; initialBacklog: number },
  signal: AbortSignal | undefined,
): Promise<RateRun> {
  const { settings } = opts
  // Intake runs leave the saga behind by design; waiting for it would only stretch the run.
  if (!settings.intake) await settle(ctx, run.initialBacklog, settings.drainTimeoutSeconds, signal)
  await housekeeper?.vacuum().catch((error: unknown) => ctx.log(`  VACUUM skipped: ${error instanceof Error ? error.message : String(error)}`))
  const housekeeping = housekeeper?.startHousekeeping(HOUSEKEEPING_INTERVAL_MS, (message) => ctx.log(`  VACUUM during the run failed: ${message}`))
  ctx.log(`rate ${run.rate}/s, run ${run.k}/${settings.runs}: ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s`)
  try {
    return await runRate(ctx, {
      runLabel: run.label,
      rate: run.rate,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      drainTimeoutSeconds: settings.drainTimeoutSeconds,
      drainConsumers: !settings.intake,
      ...(signal ? { signal } : {}),
    })
  } finally {
    await housekeeping?.stop()
  }
}

/** Lets the last run drain, then checks the books of every order the benchmark placed. */
async function checkBooks(
  ctx: RateRunContext,
  envt: BenchEnvironment,
  placed: { since: Date; skus: readonly string[]; initialBacklog: number; drainTimeoutSeconds: number },
): Promise<BooksCheck> {
  await settle(ctx, placed.initialBacklog, placed.drainTimeoutSeconds, envt.signal)
  const books = await checkBenchBooks(booksDatabases(envt.env), placed.since, placed.skus, STOCK_UNITS)
  const checked = Object.values(books.statuses).reduce((a, b) => a + b, 0)
  ctx.log(
    books.violationCount === 0
      ? `books: the ${checked} orders placed agree with stock and payments${books.unfinished ? ` (${books.unfinished} still in flight)` : ''}`
      : `books: ${books.violationCount} broken rules in ${checked} orders, first: ${books.violations[0]}`,
  )
  return books
}

/**
 * Waits until the consumers are back to the backlog they had when the benchmark began, so a
 * run that overloaded the system does not hand its leftovers to the next one.
 */
async function settle(ctx: RateRunContext, baseline: number, timeoutSeconds: number, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000
  let backlog = (await ctx.busSnapshot()).consumerBacklog
  if (backlog <= baseline) return
  ctx.log(`waiting for the consumers' backlog (${backlog} messages) to clear before the next run`)
  while (backlog > baseline && Date.now() < deadline && !signal?.aborted) {
    await sleep(1000)
    backlog = (await ctx.busSnapshot()).consumerBacklog
  }
  if (backlog > baseline) ctx.log(`  still ${backlog} messages behind (${baseline} at the start); going on`)
}

/**
 * Uses the running services when all needed are up; starts them when none is; refuses a
 * half-running system. An intake run that starts its own order service starts it alone, in the
 * intake sandbox (see {@link INTAKE_SANDBOX}); against a running system it measures intake
 * while the saga works too.
 */
async function ensureSystem(envt: BenchEnvironment, intake: boolean): Promise<{ pids: ServicePids; startedByUs: boolean; sandboxed: boolean }> {
  const needed = intake ? [...INTAKE_SANDBOX.services] : declaredServices(envt.root)
  let pids = liveServices(envt.root)
  const missing = () => needed.filter((name) => !pids.has(name))
  if (missing().length === 0) {
    const replicas = replicaCount(pids)
    envt.log(`using the running system (${[...pids.keys()].join(', ')}${replicas > 1 ? `; ${replicas} replicas of each` : ''})`)
    return { pids, startedByUs: false, sandboxed: false }
  }
  if (pids.size > 0) {
    throw new Error(`some services run but not ${missing().join(', ')}: run make up (or make down) first`)
  }
  if (intake) {
    envt.log(`nothing runs: starting ${needed.join(', ')} alone in the intake sandbox (namespace ${INTAKE_SANDBOX.namespace})`)
    await runDevScript(envt.root, 'up', envt.log, { services: needed, env: sandboxEnv() })
  } else {
    envt.log('nothing runs: starting the system with tools/dev/up')
    await runDevScript(envt.root, 'up', envt.log)
  }
  pids = liveServices(envt.root)
  if (missing().length > 0) throw new Error(`tools/dev/up did not start ${missing().join(', ')}`)
  return { pids, startedByUs: true, sandboxed: intake }
}

/** The n-th order: one to three units of one of the stocked SKUs, paid by a card that authorizes. */
export function orderBody(n: number, skus: readonly string[]): unknown {
  return {
    customerId: `${BENCH_CUSTOMER_PREFIX}${n % 1000}`,
    email: 'bench@example.com',
    currency: 'EUR',
    items: [{ sku: skus[n % skus.length], quantity: 1 + (n % 3), unitPrice: BENCH_PRICE.unitPrice }],
    payment: { method: 'card', token: 'tok_visa' },
  }
}

function describeRun(r: RateRun, intake: boolean): string {
  const lat = (s: RateRun['http']) => (s ? `p50 ${formatMs(s.p50)} p99 ${formatMs(s.p99)} max ${formatMs(s.max)}` : '–')
  const busiest = r.usage.groups.slice(0, 3).map((g) => `${g.name} ${g.cores.toFixed(2)}`).join(', ')
  return [
    `accepted ${r.acceptedPerSecond.toFixed(1)}/s, completed ${r.completedPerSecond.toFixed(1)}/s`,
    `HTTP ${lat(r.http)}`,
    `${intake ? 'published' : 'E2E'} ${lat(r.endToEnd)}`,
    `in flight at stop ${r.backlogAtStop.ordersInFlight}, drained ${r.drain.drained ? `in ${r.drain.seconds.toFixed(1)} s` : 'NO'}`,
    `machine ${r.usage.machine.busyCores.toFixed(2)} cores (${busiest})`,
    costText(r),
  ].join(' | ')
}

/** The run's cost per completed order in one phrase. */
function costText(r: RateRun): string {
  const c = r.perCompletedOrder
  if (!c || c.orders === 0) return 'no order completed in the window'
  const one = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1))
  const statements = typeof c.statements === 'string' ? c.statements : one(c.statements.total)
  return `per completed order: CPU ${one(c.cpuMs?.machine)} ms, deliveries ${one(c.deliveries?.total)}, published ${one(c.published?.total)}, statements ${statements}`
}
