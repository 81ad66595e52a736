import type { LatencySummary, RateRun } from '@orderflow/bench'

/** A latency summary whose every percentile is `ms` unless given. */
export function latency(ms: number, over: Partial<LatencySummary> = {}): LatencySummary {
  return { count: 100, p50: ms, p90: ms, p99: ms, max: ms, mean: ms, ...over }
}

/** A healthy run at `rate` (kept up with, nothing failed), with the given changes. */
export function rateRun(rate: number, over: Partial<RateRun> = {}): RateRun {
  return {
    rate,
    startedAt: '2026-01-01T00:00:00.000Z',
    sent: rate * 20,
    accepted: rate * 20,
    acceptedPerSecond: rate,
    completedPerSecond: rate,
    http: latency(10),
    endToEnd: latency(200),
    sendLag: latency(1),
    failures: { http: {}, network: {}, saga: {}, incomplete: 0 },
    deadLetters: 0,
    backlogAtStop: { consumerMessages: 3, byConsumer: {}, ordersInFlight: 4 },
    drain: { drained: true, seconds: 0.5 },
    outbox: { published: rate * 25, accepted: rate * 25 },
    usage: {
      windowSeconds: 20,
      groups: [
        { name: 'order', cpuSeconds: 4, cores: 0.2, peakRssMb: 150, processes: 1 },
        { name: 'postgres (order)', cpuSeconds: 2, cores: 0.1, peakRssMb: 60, processes: 3 },
        { name: 'bench (load generator)', cpuSeconds: 1, cores: 0.05, peakRssMb: 100, processes: 1 },
      ],
      machine: { busyCores: 0.5, otherCores: 0.15 },
    },
    perOrder: {
      database: { order: { transactions: 3, rowsWritten: 9, rowsRead: 40 }, orchestrator: { transactions: 8, rowsWritten: 20, rowsRead: 500 } },
      messages: { ORDERS: 6, INVENTORY: 4 },
    },
    perCompletedOrder: {
      orders: rate * 20,
      windowSeconds: 20,
      cpuMs: { machine: 12_000 / (rate * 20), platform: 6000 / (rate * 20), byGroup: { order: 4000 / (rate * 20), 'postgres (order)': 2000 / (rate * 20), 'bench (load generator)': 1000 / (rate * 20) } },
      deliveries: { total: 18, byConsumer: { 'ORDERS/order-saga': 10, 'PAYMENTS/payment-commands': 8 } },
      published: { total: 16, byStream: { ORDERS: 9, PAYMENTS: 7 } },
      statements: {
        total: 60,
        byDatabase: { order: 25, payment: 35 },
        top: [
          { database: 'payment', queryId: '-42', query: 'select "p0".* from "payments" as "p0" where "p0"."order_id" = $1 | limit $2', callsPerOrder: 4 },
          { database: 'order', queryId: '7', query: 'begin', callsPerOrder: 3 },
        ],
        evicted: 0,
      },
    },
    ...over,
  }
}
