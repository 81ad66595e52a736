/**
 * @orderflow/runtime — how every Orderflow service runs. A service declares itself once
 * (`defineService`: name, settings, tables, routes, consumers, workers) and its three entry
 * points are one line each: `runService`, `runMigrations`, `runProvision`. Tests build the same
 * pieces against their own database and NATS namespace.
 */
export { defineService } from './define-service.js'
export { runMigrations, runProvision, runService } from './entry-points.js'
export { serviceSettings } from './service-settings.js'
export type { ServiceConfig } from './service-settings.js'
export type { ConsumerBinding, ServiceDefinition, Worker } from './service-definition.js'
export { openServiceContext, publishOutboxRows } from './service-context.js'
export type { ServiceContext } from './service-context.js'
export { buildServiceApp } from './service-app.js'
export { serviceTransact, startServiceWorkers } from './service-workers.js'
export { DependencyUnavailable, waitForDependencies } from './wait-for-dependencies.js'
export type { WaitOptions } from './wait-for-dependencies.js'
export { startPeriodic } from './periodic.js'
export type { Periodic, PeriodicOptions } from './periodic.js'
export type { ServiceWorkers, WorkerOverrides } from './service-workers.js'
export { serviceProvisionPlan } from './provision-plan.js'
export { deadLetterRoutes, DeadLetterErrors } from './dead-letters.routes.js'
