import { connect, type NatsConnection } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'

/** Where the test NATS server is; CI and `make up` use the same. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A raw connection for a test, drained when the test ends. */
export async function connectTestNats(t: Teardown): Promise<NatsConnection> {
  const nc = await connect({ servers: TEST_NATS_URL, name: 'orderflow-test' })
  t.teardown(() => nc.drain())
  return nc
}

/**
 * Deletes the named streams when the test ends (their consumers go with them), so a test
 * leaves nothing behind on the shared server.
 */
export function deleteStreamsAfter(t: Teardown, nc: NatsConnection, ...names: string[]): void {
  t.teardown(async () => {
    const jsm = await jetstreamManager(nc)
    for (const name of names) await jsm.streams.delete(name).catch(() => false)
  })
}
