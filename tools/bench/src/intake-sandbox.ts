import pg from 'pg'
import { createTopology, type Bus } from '@orderflow/messaging'

/**
 * Where an intake run puts the order service it starts: a NATS namespace and databases of its
 * own. Intake alone means no saga consumes what it publishes; in the platform's own namespace
 * those orders would wait for the next `make up`, which would then work through them all.
 */
export interface Sandbox {
  readonly services: readonly string[]
  readonly namespace: string
  readonly databasePrefix: string
}

export const INTAKE_SANDBOX: Sandbox = {
  /** The only service an intake run needs. */
  services: ['order'],
  namespace: 'benchintake',
  /** Databases are `<prefix>_<service>` (tools/dev/up reads ORDERFLOW_DB_PREFIX). */
  databasePrefix: 'orderflow_bench',
}

/**
 * The environment tools/dev/up starts the sandboxed services with. No deadline sweep: with no
 * inventory to answer, every saga's deadline would send its ReserveStock again each step timeout
 * — a load that grows with the run and is the saga's, not intake's.
 */
export function sandboxEnv(sandbox: Sandbox = INTAKE_SANDBOX): Record<string, string> {
  return { NATS_NAMESPACE: sandbox.namespace, ORDERFLOW_DB_PREFIX: sandbox.databasePrefix, SAGA_DEADLINE_WORKER_ENABLED: 'false' }
}

/** Removes what a sandboxed run left: the namespace's streams and the services' databases. */
export async function removeSandbox(jsm: Bus['jsm'], pgUrlBase: string, sandbox: Sandbox = INTAKE_SANDBOX): Promise<void> {
  for (const stream of createTopology(sandbox.namespace).streams()) {
    await jsm.streams.delete(stream.name).catch((error: unknown) => {
      if (!/stream not found/i.test(String(error))) throw error
    })
  }
  const admin = new pg.Client({ connectionString: `${pgUrlBase}/postgres`, application_name: 'orderflow-bench' })
  await admin.connect()
  try {
    for (const service of sandbox.services) {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(`${sandbox.databasePrefix}_${service}`)} with (force)`)
    }
  } finally {
    await admin.end()
  }
}
