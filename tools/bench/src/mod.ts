/** @orderflow/bench — the project's own benchmark (`make bench`): open-model load, end-to-end latency, capacity. */
export { main } from './main.js'
export { runOpenSchedule } from './open-schedule.js'
export type { Arrival, OpenScheduleOptions, ScheduleOutcome } from './open-schedule.js'
export { percentileOfSorted, spreadOf, summarize } from './percentiles.js'
export type { LatencySummary, Spread } from './percentiles.js'
export { DEFAULT_THRESHOLDS, failureCount, formatMs, highestSustainable, judgeRate, judgeRun } from './verdict.js'
export { summarizeRate } from './summarize-runs.js'
export { runRate } from './rate-run.js'
export type { RateRunContext, RateRunSettings } from './rate-run.js'
export type { Outcome, OutcomeListener } from './outcome-listener.js'
export type { BusSnapshot } from './bus-stats.js'
export { cell, mergeReport, renderSection, sectionKey } from './report.js'
export type { SectionOptions } from './report.js'
export { latencyChart } from './report-chart.js'
export { logTicks, niceCeiling, renderLineChart } from './svg-chart.js'
export type { ChartSeries, LineChartSpec } from './svg-chart.js'
export { parseOptions, UsageError } from './options.js'
export type { BenchOptions } from './options.js'
export { postgresGroup } from './process-groups.js'
export { createOrderApi } from './order-api.js'
export { BENCH_PRICE, priceSkus } from './price-skus.js'
export type { OrderApi, OrderApiOptions, PlaceOrderResult } from './order-api.js'
export type {
  BenchMode,
  BenchResult,
  BenchSettings,
  Counts,
  Failures,
  RateRun,
  RateSummary,
  StatementsSummary,
  Thresholds,
  Verdict,
  WindowCostsSummary,
} from './results.js'
export type { GroupUsage, MachineUsage, ProcessUsageReport } from './process-monitor.js'
export type { MachineInfo } from './machine-info.js'
export { readDeliveryCounters } from './bus-stats.js'
export type { DeliveryCounters } from './bus-stats.js'
export { busPerOrder, cpuPerOrder, increasePerOrder } from './window-costs.js'
export type { CpuPerOrder, WindowCosts } from './window-costs.js'
export { connectStatementCounter, NOT_LOADED, preloadList, shortQuery, statementIncrease, statementsPerOrder, TOP_STATEMENTS } from './statement-stats.js'
export { connectDatabaseStats } from './db-stats.js'
export type { StatementCounter, StatementSnapshot, StatementsFigure, StatementsPerOrder, TopStatement } from './statement-stats.js'
