import { Counter, Gauge, Histogram, register as globalRegistry, type Registry } from 'prom-client'
import type { PendingOutbox } from './outbox.sql.js'

/** Counts unsent outbox rows; `undefined` when it could not (the gauges then keep their last values). */
export type PendingCounter = () => Promise<PendingOutbox | undefined>

/** The outbox relay's metrics in one registry, shared by every relay of the process that uses it. */
export interface OutboxMetrics {
  readonly published: Counter
  readonly failures: Counter
  readonly latency: Histogram
  readonly batchSize: Histogram
  /** Relays able to count pending rows for the lazily collected `outbox_pending` gauge. */
  readonly pendingCounters: Set<PendingCounter>
}

const byRegistry = new WeakMap<Registry, OutboxMetrics>()

/**
 * The outbox metrics of a registry, created on first use: several relays in one process (tests,
 * or a service relaying two databases) share them instead of failing on a duplicate name.
 */
export function outboxMetrics(registry: Registry = globalRegistry): OutboxMetrics {
  const existing = byRegistry.get(registry)
  if (existing) return existing
  const pendingCounters = new Set<PendingCounter>()
  const registers = [registry]
  const metrics: OutboxMetrics = {
    published: new Counter({ name: 'outbox_published_total', help: 'Outbox events published and marked sent', registers }),
    failures: new Counter({ name: 'outbox_publish_failures_total', help: 'Outbox publish attempts that failed (retried later)', registers }),
    latency: new Histogram({
      name: 'outbox_publish_latency_seconds',
      help: 'Time from an event being enqueued to it being marked sent',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    batchSize: new Histogram({
      name: 'outbox_batch_size',
      help: 'Events claimed per relay batch',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    pendingCounters,
  }
  // Counted on scrape rather than on every batch: a count(*) per batch would cost more than the
  // batch when the relay is busy, and nobody reads the value in between. One query serves both
  // gauges: a scrape collects them at the same time and shares it.
  let sampling: Promise<PendingOutbox | undefined> | undefined
  const sample = (): Promise<PendingOutbox | undefined> => {
    const [count] = pendingCounters
    if (!count) return Promise.resolve(undefined)
    sampling ??= count().finally(() => {
      sampling = undefined
    })
    return sampling
  }
  new Gauge({
    name: 'outbox_pending',
    help: 'Outbox events not yet published (counted when scraped)',
    registers,
    async collect() {
      const value = await sample()
      if (value !== undefined) this.set(value.count)
    },
  })
  new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'How long the oldest unpublished outbox event has waited (0 when none waits; read when scraped)',
    registers,
    async collect() {
      const value = await sample()
      if (value !== undefined) this.set(value.oldestAgeSeconds)
    },
  })
  byRegistry.set(registry, metrics)
  return metrics
}
