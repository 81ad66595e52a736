/**
 * @orderflow/testing/service — a whole service under test (its migrations, its own database and
 * NATS namespace, its API and workers). A separate entry so library tests need not load the runtime.
 */
export { eventually, migratedDatabase, serviceTestbed } from './service-testbed.js'
export { deliveriesOf, handleBatch } from './deliveries.js'
export type { ServiceTestbed } from './service-testbed.js'
export { accessMatrix, testAccess, CALLERS } from './access-matrix.js'
export type { AccessCell, AccessMatrix, AccessMatrixOptions, AccessRequest, AccessResponse, AccessRow, AccessTable, AuthenticatedCaller, Caller } from './access-matrix.js'
