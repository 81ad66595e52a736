import { randomBytes } from 'node:crypto'

/**
 * A name no other test uses, so test files can run in parallel against one NATS and one
 * PostgreSQL server. Upper case suits stream names; `lower` suits databases and durables.
 */
export function uniqueName(prefix: string, opts: { lower?: boolean } = {}): string {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`
  return opts.lower ? name.toLowerCase() : name.toUpperCase()
}

/** A NATS namespace (see `createTopology` in @orderflow/messaging) no other test uses. */
export function randomNamespace(): string {
  return `t${randomBytes(6).toString('hex')}`
}
