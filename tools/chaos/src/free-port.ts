import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * A TCP port nothing listens on right now, from the kernel. Another process could take it before
 * ours binds it; on a developer's machine that race is rare enough, and the start then fails loudly.
 */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('the kernel gave no TCP port')
  return address.port
}
