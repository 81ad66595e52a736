import type { RateRun, Thresholds, Verdict } from './results.js'

/** The defaults: a p99 of one second, no failures, a backlog gone within 5 s. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  maxP99Ms: 1000,
  maxFailureRate: 0,
  maxDrainSeconds: 5,
  minCompletionRatio: 0.9,
  maxSendLagMs: 100,
}

/** Total failed orders of a run: HTTP, network, saga and never completed. */
export function failureCount(run: RateRun): number {
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)
  return sum(run.failures.http) + sum(run.failures.network) + sum(run.failures.saga) + run.failures.incomplete
}

/**
 * Did the system keep up with this run's rate? It did when orders did not fail, the latency
 * budget held (end-to-end, or HTTP when `intake`), the outcomes came as fast as the orders,
 * and what was in flight when the load stopped cleared promptly — a backlog that takes long to
 * drain grew during the run. A generator that could not keep its own schedule voids the run:
 * the machine was saturated before the system could be measured.
 */
export function judgeRun(run: RateRun, t: Thresholds, intake: boolean): Verdict {
  const reasons: string[] = []
  const failures = failureCount(run)
  if (run.sent === 0) reasons.push('no order was sent')
  else if (failures / run.sent > t.maxFailureRate) reasons.push(`${failures} of ${run.sent} orders failed`)
  const latency = intake ? run.http : run.endToEnd
  const label = intake ? 'HTTP' : 'end-to-end'
  if (latency === null) reasons.push(`no ${label} latency measured`)
  else if (latency.p99 > t.maxP99Ms) reasons.push(`${label} p99 ${formatMs(latency.p99)} > ${formatMs(t.maxP99Ms)}`)
  if (!run.drain.drained) reasons.push(`backlog not drained within ${run.drain.seconds.toFixed(0)} s`)
  else if (run.drain.seconds > t.maxDrainSeconds) reasons.push(`backlog took ${run.drain.seconds.toFixed(1)} s to drain (> ${t.maxDrainSeconds} s)`)
  if (run.acceptedPerSecond > 0 && run.completedPerSecond < t.minCompletionRatio * run.acceptedPerSecond) {
    reasons.push(`completed ${run.completedPerSecond.toFixed(1)}/s of ${run.acceptedPerSecond.toFixed(1)}/s accepted`)
  }
  if (run.sendLag !== null && run.sendLag.p99 > t.maxSendLagMs) reasons.push(`generator behind schedule (send lag p99 ${formatMs(run.sendLag.p99)})`)
  return { sustainable: reasons.length === 0, reasons }
}

/** A rate run several times is sustainable when most of its runs were; the failing runs' reasons are kept. */
export function judgeRate(verdicts: readonly Verdict[]): Verdict {
  const passed = verdicts.filter((v) => v.sustainable).length
  return {
    sustainable: verdicts.length > 0 && passed * 2 > verdicts.length,
    reasons: [...new Set(verdicts.flatMap((v) => v.reasons))],
  }
}

/**
 * The highest rate sustained, stepping up from the lowest: the last rate before the first one
 * that was not kept up with (a lucky pass above a failure does not count). Null when even the
 * lowest failed.
 */
export function highestSustainable(rates: readonly { rate: number; verdict: Verdict }[]): number | null {
  let best: number | null = null
  for (const r of [...rates].sort((a, b) => a.rate - b.rate)) {
    if (!r.verdict.sustainable) break
    best = r.rate
  }
  return best
}

/** 850 ms, 1.25 s. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`
}
