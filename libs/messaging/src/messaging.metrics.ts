import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** A server query behind a gauge: answered from a cache, and never allowed to stall a scrape. */
export type Probe = () => Promise<number>

export interface MessagingMetrics {
  readonly consumerMessages: Counter<'consumer' | 'outcome'>
  readonly redeliveries: Counter<'consumer'>
  readonly processingSeconds: Histogram<'consumer'>
  readonly batchSize: Histogram<'consumer'>
  readonly published: Counter<'outcome'>
  /** Messages stored in the dead-letter stream, by the consumer that gave up on them and why. */
  readonly deadLettered: Counter<'consumer' | 'reason'>
  /** Reports a consumer's backlog in `messaging_consumer_pending`; returns the undo. */
  watchPending(consumer: string, probe: Probe): () => void
  /** Reports a dead-letter stream's depth in `messaging_dead_letters`; returns the undo. */
  watchDeadLetters(stream: string, probe: Probe): () => void
}

// Several consumers (and a publisher) of one process share a registry; prom-client refuses a
// second metric of the same name, so the metrics are made once per registry.
const byRegistry = new WeakMap<Registry, MessagingMetrics>()

export function messagingMetrics(registry: Registry): MessagingMetrics {
  let metrics = byRegistry.get(registry)
  if (!metrics) {
    metrics = createMetrics(registry)
    byRegistry.set(registry, metrics)
  }
  return metrics
}

function createMetrics(registry: Registry): MessagingMetrics {
  const registers = [registry]
  const pending = new Map<string, Probe>()
  const deadLetters = new Map<string, Probe>()
  const pendingGauge: Gauge<'consumer'> = new Gauge({
    name: 'messaging_consumer_pending',
    help: 'Messages not yet processed by a consumer: never delivered plus delivered but unacked',
    labelNames: ['consumer'],
    registers,
    async collect() {
      await Promise.all([...pending].map(async ([consumer, probe]) => setOrDrop(pendingGauge, { consumer }, probe)))
    },
  })
  const deadLetterGauge: Gauge<'stream'> = new Gauge({
    name: 'messaging_dead_letters',
    help: 'Dead letters waiting for an operator',
    labelNames: ['stream'],
    registers,
    async collect() {
      await Promise.all([...deadLetters].map(async ([stream, probe]) => setOrDrop(deadLetterGauge, { stream }, probe)))
    },
  })
  return {
    consumerMessages: new Counter({
      name: 'messaging_consumer_messages_total',
      help: 'Messages handled by a consumer, by outcome (acked, retried, terminated)',
      labelNames: ['consumer', 'outcome'],
      registers,
    }),
    redeliveries: new Counter({
      name: 'messaging_consumer_redeliveries_total',
      help: 'Deliveries of a message that had been delivered before',
      labelNames: ['consumer'],
      registers,
    }),
    processingSeconds: new Histogram({
      name: 'messaging_consumer_processing_seconds',
      help: 'Time from receiving a message to acking, naking or terminating it',
      labelNames: ['consumer'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchSize: new Histogram({
      name: 'messaging_consumer_batch_size',
      help: 'Events handled together in one batch (one transaction) by a batching consumer',
      labelNames: ['consumer'],
      buckets: [2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    published: new Counter({
      name: 'messaging_published_total',
      help: 'Events published, by outcome (stored, duplicate, invalid, failed)',
      labelNames: ['outcome'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'messaging_dead_lettered_total',
      help: 'Messages dead-lettered, by the consumer that gave up on them and the reason (a second copy of one is not counted)',
      labelNames: ['consumer', 'reason'],
      registers,
    }),
    watchPending(consumer, probe) {
      pending.set(consumer, probe)
      return () => {
        pending.delete(consumer)
        pendingGauge.remove({ consumer })
      }
    },
    watchDeadLetters(stream, probe) {
      deadLetters.set(stream, probe)
      return () => {
        deadLetters.delete(stream)
        deadLetterGauge.remove({ stream })
      }
    },
  }
}

async function setOrDrop<L extends string>(gauge: Gauge<L>, labels: Partial<Record<L, string>>, probe: Probe): Promise<void> {
  try {
    gauge.set(labels, await probe())
  } catch {
    // An unknown value is better left out than reported as a stale or made-up number.
    gauge.remove(labels)
  }
}

/**
 * Wraps a server query for a gauge: a value younger than `ttlMs` is reused (scrapes from
 * several Prometheus replicas cost one call), and a call slower than `timeoutMs` fails so the
 * scrape answers in time.
 */
export function cachedProbe(fn: () => Promise<number>, opts: { ttlMs?: number; timeoutMs?: number } = {}): Probe {
  const ttl = opts.ttlMs ?? 5_000
  const timeout = opts.timeoutMs ?? 2_000
  let cached: { at: number; value: number } | undefined
  let inflight: Promise<number> | undefined
  return async () => {
    if (cached && Date.now() - cached.at < ttl) return cached.value
    inflight ??= (async () => {
      try {
        const value = await withTimeout(fn(), timeout)
        cached = { at: Date.now(), value }
        return value
      } finally {
        inflight = undefined
      }
    })()
    return inflight
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, expired]).finally(() => clearTimeout(timer))
}
