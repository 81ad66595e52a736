import pg from 'pg'
import { uniqueName } from './names.js'

/** Where the test PostgreSQL server is; CI and `make up` use the same. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * Creates an empty database for one test file and drops it when the test ends.
 * Returns its connection URL.
 */
export async function createTestDatabase(t: Teardown, prefix = 'of_test'): Promise<string> {
  const name = uniqueName(prefix, { lower: true })
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  t.teardown(() => dropDatabase(name))
  const url = new URL(TEST_PG_ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL })
  await admin.connect()
  try {
    // WITH (FORCE) ends connections a test left open (a killed relay, say) instead of failing.
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await admin.end()
  }
}
