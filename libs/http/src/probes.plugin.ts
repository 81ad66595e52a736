import type { FastifyPluginCallback } from 'fastify'
import { HttpErrors } from './errors.js'
import type { ReadinessCheck } from './server-options.js'

export interface ProbesPluginOptions {
  checks: readonly ReadinessCheck[]
  timeoutMs: number
}

type CheckResult = 'ok' | 'failed' | 'timed out'

async function run(check: ReadinessCheck, timeoutMs: number): Promise<{ result: CheckResult; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), timeoutMs)
  })
  try {
    // A check that throws synchronously counts as failed, like one that rejects.
    const outcome = await Promise.race([Promise.resolve().then(check.check), timedOut])
    return { result: outcome === 'timed out' ? 'timed out' : 'ok' }
  } catch (error) {
    return { result: 'failed', error }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `GET /livez` answers 200 whenever the event loop turns (a process that cannot answer it is
 * restarted). `GET /readyz` answers 200 only while every dependency check passes within its
 * time limit and the server is not shutting down, so a pod that cannot serve is taken out of
 * the load balancer without being restarted. Both stay out of the OpenAPI document, outside auth
 * and outside rate limits.
 */
export const probesPlugin: FastifyPluginCallback<ProbesPluginOptions> = (app, opts, done) => {
  const names = new Set<string>()
  for (const { name } of opts.checks) {
    if (names.has(name)) return done(new TypeError(`readiness check "${name}" is declared twice`))
    names.add(name)
  }

  // Never rate limited: a kubelet or load balancer refused with 429 would take the pod out.
  const probe = { schema: { hide: true }, config: { rateLimit: false } } as const
  app.get('/livez', probe, () => ({ status: 'ok' }))

  app.get('/readyz', probe, async (request) => {
    if (app.lifecycle.shuttingDown) {
      throw HttpErrors.SHUTTING_DOWN('The server is shutting down and takes no new work.')
    }
    const outcomes = await Promise.all(opts.checks.map(async (c) => ({ name: c.name, ...(await run(c, opts.timeoutMs)) })))
    const checks = Object.fromEntries(outcomes.map((o) => [o.name, o.result]))
    const failing = outcomes.filter((o) => o.result !== 'ok')
    if (failing.length === 0) return { status: 'ok', checks }
    for (const f of failing) request.log.warn({ err: f.error, check: f.name, result: f.result }, 'readiness check failed')
    // The reason stays in the log: /readyz is public and a driver's message can name hosts.
    throw HttpErrors.NOT_READY({
      detail: `Failing: ${failing.map((f) => `${f.name} (${f.result})`).join(', ')}.`,
      extra: { checks },
    })
  })
  done()
}
