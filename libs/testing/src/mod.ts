/**
 * @orderflow/testing — helpers for tests against the real PostgreSQL and NATS servers: a fresh
 * database per test file, unique stream names, a token minter. Used by tests only.
 */
export { randomNamespace, uniqueName } from './names.js'
export { TEST_PG_ADMIN_URL, createTestDatabase } from './database.js'
export { TEST_NATS_URL, connectTestNats, deleteStreamsAfter } from './nats.js'
export { TEST_JWT_SECRETS, mintToken } from './tokens.js'
export type { TokenOptions } from './tokens.js'
