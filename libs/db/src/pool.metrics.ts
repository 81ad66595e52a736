import { Gauge, type Registry } from 'prom-client'

/** What the gauges read of a `pg` pool: its counters, kept by the pool itself. */
export interface PoolCounts {
  readonly totalCount: number
  readonly idleCount: number
  readonly waitingCount: number
  readonly options: { readonly max?: number | undefined }
}

const byRegistry = new WeakMap<Registry, Map<string, PoolCounts>>()

/**
 * Reports a connection pool on `registry` under `pool="<name>"`: `db_pool_connections` by state
 * (`busy`: checked out, `idle`: open and free), `db_pool_max_connections` and
 * `db_pool_waiting_requests` (callers queued for a connection: the pool is too small or its
 * connections are held too long). Read from the pool's own counters when scraped, so watching
 * costs nothing between scrapes. A second pool of the same name replaces the first (a service that
 * reconnects); returns the undo.
 */
export function watchPool(registry: Registry, name: string, pool: PoolCounts): () => void {
  let pools = byRegistry.get(registry)
  if (!pools) {
    pools = new Map()
    byRegistry.set(registry, pools)
    register(registry, pools)
  }
  pools.set(name, pool)
  return () => {
    if (pools.get(name) === pool) pools.delete(name)
  }
}

function register(registry: Registry, pools: Map<string, PoolCounts>): void {
  const registers = [registry]
  // Every gauge is reset before it is set: a pool no longer watched drops out of the scrape.
  new Gauge({
    name: 'db_pool_connections',
    help: 'Connections of a database pool, by state: busy (checked out) or idle',
    labelNames: ['pool', 'state'],
    registers,
    collect() {
      this.reset()
      for (const [name, p] of pools) {
        this.set({ pool: name, state: 'busy' }, p.totalCount - p.idleCount)
        this.set({ pool: name, state: 'idle' }, p.idleCount)
      }
    },
  })
  new Gauge({
    name: 'db_pool_max_connections',
    help: 'Connections a database pool opens at most',
    labelNames: ['pool'],
    registers,
    collect() {
      this.reset()
      for (const [name, p] of pools) this.set({ pool: name }, p.options.max ?? 10)
    },
  })
  new Gauge({
    name: 'db_pool_waiting_requests',
    help: 'Callers waiting for a connection of a database pool (all of its connections are busy)',
    labelNames: ['pool'],
    registers,
    collect() {
      this.reset()
      for (const [name, p] of pools) this.set({ pool: name }, p.waitingCount)
    },
  })
}
