import type { Registry } from 'prom-client'

/**
 * The metric `name` on `registry`: the one already there, or the one `create` registers. A
 * registry may be shared by several servers, consumers or workers of one process (tests, a
 * gateway building sub-apps); each asks for the same metric instead of failing on "already
 * registered". A metric of another kind under that name is a bug, and throws.
 */
export function metricOnce<M>(registry: Registry, name: string, kind: abstract new (...args: never[]) => M, create: () => M): M {
  const existing = registry.getSingleMetric(name)
  if (existing === undefined) return create()
  if (existing instanceof kind) return existing
  throw new Error(`metric ${name} is already registered as another kind`)
}
