import type { BenchResult } from './results.js'
import { renderLineChart, type ChartSeries } from './svg-chart.js'

/** The chart of latency against offered rate (medians of the runs) for one benchmark. */
export function latencyChart(result: BenchResult): string {
  const { summaries, settings } = result
  const line = (label: string, color: string, pick: (s: (typeof summaries)[number]) => number | undefined, dashed = false): ChartSeries => ({
    label,
    color,
    dashed,
    points: summaries.flatMap((s) => {
      const y = pick(s)
      return y === undefined ? [] : [{ x: s.rate, y }]
    }),
  })
  const series: ChartSeries[] = settings.intake
    ? []
    : [
        line('end-to-end p50', '#1f77b4', (s) => s.endToEnd?.p50.median),
        line('end-to-end p90', '#2ca02c', (s) => s.endToEnd?.p90.median),
        line('end-to-end p99', '#d62728', (s) => s.endToEnd?.p99.median),
      ]
  series.push(line('HTTP p50', '#9467bd', (s) => s.http?.p50.median, true), line('HTTP p99', '#ff7f0e', (s) => s.http?.p99.median, true))
  if (settings.intake) series.push(line('published p99', '#8c564b', (s) => s.endToEnd?.p99.median))
  const what = settings.intake ? 'Order intake' : 'End-to-end order latency'
  return renderLineChart({
    title: `${what} vs offered rate (median of ${settings.runs} run${settings.runs === 1 ? '' : 's'})`,
    xLabel: 'offered rate (orders/s)',
    yLabel: 'latency (log scale)',
    series,
    reference: { y: settings.thresholds.maxP99Ms, label: `p99 budget ${settings.thresholds.maxP99Ms} ms` },
  })
}
