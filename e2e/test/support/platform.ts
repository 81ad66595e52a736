import { createTopology, type Topology } from '@orderflow/messaging'
import type { ServiceConfig, ServiceDefinition, ServiceWorkers } from '@orderflow/runtime'
import { randomNamespace } from '@orderflow/testing'
import { serviceTestbed, type ServiceTestbed } from '@orderflow/testing/service'
import { startSmtpCatcher, type SmtpCatcher } from '@orderflow/testing/smtp'
import { initTracing } from '@orderflow/telemetry'
import { fulfillmentService } from '@orderflow/fulfillment'
import { inventoryService } from '@orderflow/inventory'
import { notificationService } from '@orderflow/notification'
import { orderService } from '@orderflow/order'
import { paymentService } from '@orderflow/payment'
import { startServiceProcess, type ServiceProcess } from './service-process.js'

interface TestLike {
  teardown(fn: () => unknown): void
}

/** The five services, in the order they start (consumers before the service that feeds them). */
export const SERVICES = {
  inventory: inventoryService,
  payment: paymentService,
  fulfillment: fulfillmentService,
  notification: notificationService,
  order: orderService,
} as const
export type ServiceName = keyof typeof SERVICES

/**
 * Settings that make a test run take seconds, not minutes: fast deadline scans, a short
 * fulfilment schedule, a sweep that runs. Each test file may override any of them.
 */
const FAST: Record<ServiceName, Record<string, string>> = {
  inventory: { RESERVATION_SWEEP_INTERVAL_MS: '500' },
  payment: { PROVIDER_TIMEOUT_MS: '300', PROVIDER_RETRY_DELAY_MS: '20' },
  fulfillment: { FULFILLMENT_SHIP_AFTER_MS: '300', FULFILLMENT_DELIVER_AFTER_MS: '300', FULFILLMENT_SCHEDULER_INTERVAL_MS: '50' },
  notification: {},
  // Steps are re-sent, not failed, at their deadline; generous all the same, so a loaded CI
  // machine sees few re-sends. The give-up test sets its own.
  order: { SAGA_STEP_TIMEOUT_MS: '120000', SAGA_DEADLINE_SCAN_INTERVAL_MS: '100' },
}

export interface PlatformOptions {
  /** Extra settings per service, over the fast defaults. */
  env?: Partial<Record<ServiceName, Record<string, string>>>
  /** Services to run as child processes (`node src/main.ts`) that a test can SIGKILL. */
  processes?: readonly ServiceName[]
}

type AnyTestbed = ServiceTestbed<ServiceConfig>

/**
 * The whole platform for one test file: every service on a database of its own, all of them in
 * one NATS namespace of their own, talking only over JetStream as in production. Services run
 * in the test process (their APIs reached through `inject`), or as real child processes when a
 * test needs to kill one. Notifications go to an SMTP server the test runs.
 */
export interface Platform {
  namespace: string
  topology: Topology
  smtp: SmtpCatcher
  /** Each service's testbed: its API (`app.inject`), its database (`orm`) and its bus. */
  tb: Record<ServiceName, AnyTestbed>
  /** Stops a service's consumers and workers (its API stays up), as if it were down. */
  pause(name: ServiceName): Promise<void>
  /** Starts a paused service's consumers and workers again. */
  resume(name: ServiceName): Promise<void>
  /** The child process of a service started with `processes`. */
  process(name: ServiceName): ServiceProcess
}

export async function startPlatform(t: TestLike, options: PlatformOptions = {}): Promise<Platform> {
  // As runService does: spans follow async calls, so every message carries its order's trace.
  const tracing = initTracing({ serviceName: 'e2e' })
  t.teardown(() => tracing.shutdown())
  const namespace = randomNamespace()
  const smtp = await startSmtpCatcher(t)
  const processes = new Set(options.processes ?? [])
  const tb = {} as Record<ServiceName, AnyTestbed>
  const workers = new Map<ServiceName, ServiceWorkers>()
  const children = new Map<ServiceName, ServiceProcess>()

  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    // Each service has its own config type; here they are handled alike, through the runtime's.
    const def = SERVICES[name] as unknown as ServiceDefinition
    const env = {
      NATS_NAMESPACE: namespace,
      ...FAST[name],
      ...(name === 'notification' ? { SMTP_URL: smtp.url } : {}),
      ...options.env?.[name],
    }
    const bed: AnyTestbed = await serviceTestbed(t, def, env)
    tb[name] = bed
    if (processes.has(name)) {
      children.set(name, await startServiceProcess(t, name, { ...env, DATABASE_URL: bed.url }))
    } else {
      workers.set(name, await bed.startWorkers())
    }
  }

  return {
    namespace,
    topology: createTopology(namespace),
    smtp,
    tb,
    async pause(name) {
      await workers.get(name)?.stop()
      workers.delete(name)
    },
    async resume(name) {
      if (!workers.has(name)) workers.set(name, await tb[name].startWorkers())
    },
    process(name) {
      const child = children.get(name)
      if (!child) throw new Error(`${name} was not started as a process`)
      return child
    },
  }
}
