import { eventually } from '@orderflow/testing/service'
import { createTopology, provision, type Bus, type Topology } from '@orderflow/messaging'
import { serviceProvisionPlan, startServiceWorkers, type ServiceWorkers } from '@orderflow/runtime'
import { connectTestNats, deleteStreamsAfter, randomNamespace } from '@orderflow/testing'
import { inventoryService } from '../src/service.js'
import { inventoryTestbed, type InventoryTestbed } from './testbed.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

export interface WiredTestbed extends InventoryTestbed {
  bus: Bus
  topology: Topology
  /** Starts the relay, consumers, copier and expiry worker as main.ts does; stopped at teardown. */
  startWorkers(): Promise<ServiceWorkers>
}

/**
 * The inventory service as it runs, against its own database and a NATS namespace of its own
 * (streams `<NS>_INVENTORY`…, subjects `<ns>.inventory.…`), so nothing it publishes reaches the
 * platform's streams or another test's.
 */
export async function wiredTestbed(t: TestLike, env: Record<string, string> = {}): Promise<WiredTestbed> {
  const namespace = randomNamespace()
  const topology = createTopology(namespace)
  const nc = await connectTestNats(t)
  deleteStreamsAfter(t, nc, ...topology.streams().map((s) => s.name))
  const tb = await inventoryTestbed(t, { NATS_NAMESPACE: namespace, OUTBOX_POLL_INTERVAL_MS: '200', ...env })
  await provision(tb.ctx.bus.jsm, serviceProvisionPlan(inventoryService, topology, 1))

  const started: ServiceWorkers[] = []
  t.teardown(() => Promise.all(started.map((w) => w.stop())))
  return {
    ...tb,
    bus: tb.ctx.bus,
    topology,
    async startWorkers() {
      const workers = await startServiceWorkers(inventoryService, tb.ctx)
      started.push(workers)
      return workers
    },
  }
}

/** The shared poller, re-exported for this service's tests. */
export { eventually }
