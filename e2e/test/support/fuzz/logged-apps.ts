import { Writable } from 'node:stream'
import { pino } from 'pino'
import { buildServiceApp, type ServiceDefinition } from '@orderflow/runtime'
import { SERVICES, type Platform, type ServiceName } from '../platform.js'
import type { Causes, Target } from './oracle.js'

/**
 * Each service's API built again on the platform's connections, logging its errors where the
 * fuzz can quote them (the testbeds' own loggers are silent). Closed when the test ends.
 */
export async function loggedApps(t: { teardown(fn: () => unknown): void }, p: Platform): Promise<{ targets: Record<ServiceName, Target>; causes: Causes }> {
  const lines = new Map<string, string>()
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { reqId?: string; err?: { stack?: string; message?: string } }
        if (entry.reqId) lines.set(entry.reqId, entry.err?.stack ?? entry.err?.message ?? line)
      }
      done()
    },
  })
  const logger = pino({ level: 'error' }, destination)
  const targets: Partial<Record<ServiceName, Target>> = {}
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    // Each service has its own config type; here they are handled alike, through the runtime's.
    const def = SERVICES[name] as unknown as ServiceDefinition
    const app = buildServiceApp(def, { ...p.tb[name].ctx, logger })
    t.teardown(() => app.close())
    await app.ready()
    targets[name] = { app, orm: p.tb[name].orm }
  }
  return { targets: { ...p.tb, ...targets }, causes: { causeOf: (id) => (id === undefined ? undefined : lines.get(id)) } }
}
