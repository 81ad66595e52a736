import type { DeliveryCounters } from './bus-stats.js'
import { NOT_PLATFORM_GROUPS } from './process-groups.js'
import type { ProcessUsageReport } from './process-monitor.js'
import type { StatementsFigure } from './statement-stats.js'

/** CPU milliseconds per completed order over the measured window. */
export interface CpuPerOrder {
  /** Busy CPU time of the whole machine (every process on it, from /proc/stat) / orders. */
  machine: number
  /** The platform's processes (services, their PostgreSQL backends and server, NATS): not the load generator nor other databases. */
  platform: number
  /** Each process group's CPU time / orders: each service, `postgres (<database>)`, `nats-server`, `bench (load generator)`… */
  byGroup: Record<string, number>
}

/**
 * What one order completed inside the measured window cost, counted over that window: work done
 * in the window divided by the orders that completed in it. At a rate the system keeps up with,
 * that is the cost of one order; at one it does not, it is the cost of the work it got done.
 */
export interface WindowCosts {
  /**
   * Orders completed inside the measured window (the saga's outcome; `order.evt.created` in intake
   * mode) while the process monitor and the counters looked — from the first measured order's
   * send to the last one's: the divisor of every figure here.
   */
  orders: number
  /** Seconds the process monitor and the counters looked (0 when the counters were not read at both ends). */
  windowSeconds: number
  /** Null when no order completed. */
  cpuMs: CpuPerOrder | null
  /** JetStream deliveries per order, redeliveries included: Σ over the durable consumers of the increase of `delivered.consumer_seq`. Null when unread or no order completed. */
  deliveries: { total: number; byConsumer: Record<string, number> } | null
  /** Messages published per order: Σ over the domain streams of the increase of `last_seq`. Null when unread or no order completed. */
  published: { total: number; byStream: Record<string, number> } | null
  /** SQL statements per order from pg_stat_statements, or `not measured (<why>)`. */
  statements: StatementsFigure
}

/** CPU per order: the monitor's CPU seconds of the machine and of each group, in ms, over `orders`. Null without orders. */
export function cpuPerOrder(usage: ProcessUsageReport, orders: number): CpuPerOrder | null {
  if (!(orders > 0)) return null
  const perOrder = (seconds: number) => (seconds * 1000) / orders
  // Results of older benchmarks carry the machine's busy cores only.
  const machineSeconds = usage.machine.busyCpuSeconds ?? usage.machine.busyCores * usage.windowSeconds
  const platformSeconds = usage.groups.filter((g) => !NOT_PLATFORM_GROUPS.has(g.name)).reduce((a, g) => a + g.cpuSeconds, 0)
  return {
    machine: perOrder(machineSeconds),
    platform: perOrder(platformSeconds),
    byGroup: Object.fromEntries(usage.groups.map((g) => [g.name, perOrder(g.cpuSeconds)])),
  }
}

/**
 * How much each counter rose between two readings, divided by `orders`, and the sum. A counter
 * new in the second reading counts whole (a consumer created during the window did all its
 * deliveries in it); one that went back (deleted and created again) counts from zero; one gone
 * from the second reading counts nothing.
 */
export function increasePerOrder(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>, orders: number): { total: number; byKey: Record<string, number> } | null {
  if (!(orders > 0)) return null
  const byKey: Record<string, number> = {}
  let total = 0
  for (const [key, now] of Object.entries(after)) {
    const was = before[key] ?? 0
    const increase = now >= was ? now - was : now
    byKey[key] = increase / orders
    total += increase
  }
  return { total: total / orders, byKey }
}

/** Deliveries and publications per order between two readings of the bus's counters. */
export function busPerOrder(
  before: DeliveryCounters | undefined,
  after: DeliveryCounters | undefined,
  orders: number,
): Pick<WindowCosts, 'deliveries' | 'published'> {
  if (!before || !after) return { deliveries: null, published: null }
  const deliveries = increasePerOrder(before.deliveredByConsumer, after.deliveredByConsumer, orders)
  const published = increasePerOrder(before.publishedByStream, after.publishedByStream, orders)
  return {
    deliveries: deliveries && { total: deliveries.total, byConsumer: deliveries.byKey },
    published: published && { total: published.total, byStream: published.byKey },
  }
}
