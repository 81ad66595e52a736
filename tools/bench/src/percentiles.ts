/** A latency distribution in milliseconds: what the report quotes for HTTP and end-to-end. */
export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/**
 * The q-th percentile (0 < q ≤ 100) of values sorted ascending, by nearest rank: always one of
 * the samples, never an interpolation, so a p99 is a latency some order really had.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new RangeError('no samples')
  if (!(q > 0 && q <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${q}`)
  const rank = Math.ceil((q / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number
}

/**
 * Summarises samples; null when there are none. The samples are sorted whole: exact figures at
 * the few hundred thousand samples a run produces cost a few milliseconds, so a histogram's
 * bucketing error buys nothing here.
 */
export function summarize(values: Iterable<number>): LatencySummary | null {
  const sorted = Float64Array.from(values).sort()
  if (sorted.length === 0) return null
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  }
}

/** Median, lowest and highest of repeated measurements of one figure. */
export interface Spread {
  median: number
  min: number
  max: number
}

/** The spread of repeated runs; the median of an even count is the mean of the middle two. */
export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number }
}
