import fp from 'fastify-plugin'
import type { FastifyPluginCallback } from 'fastify'
import { collectDefaultMetrics, Counter, Histogram, type Registry } from 'prom-client'
import { metricOnce } from './metric-once.js'

export interface MetricsPluginOptions {
  registry: Registry
  defaultMetrics: boolean
}

/** Label for requests that matched no route: raw URLs would make label cardinality unbounded. */
export const UNMATCHED_ROUTE = 'not_found'

const counter = (registry: Registry, name: string, help: string, labelNames: readonly string[]): Counter =>
  metricOnce(registry, name, Counter, () => new Counter({ name, help, labelNames, registers: [registry] }))

const histogram = (registry: Registry, name: string, help: string, labelNames: readonly string[]): Histogram =>
  metricOnce(
    registry,
    name,
    Histogram,
    () => new Histogram({ name, help, labelNames, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
  )

/**
 * Request rate, errors and duration for every route, and `GET /metrics` in Prometheus text
 * format. Labels use the route pattern (`/v1/orders/:id`), never the raw URL. There is no
 * separate error counter: `http_requests_total{status_code=~"5.."}` is the error rate.
 */
const metrics: FastifyPluginCallback<MetricsPluginOptions> = (app, { registry, defaultMetrics }, done) => {
  if (defaultMetrics && registry.getSingleMetric('process_cpu_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry })
  }
  const requests = counter(registry, 'http_requests_total', 'HTTP requests answered', ['method', 'route', 'status_code'])
  const duration = histogram(registry, 'http_request_duration_seconds', 'Time to answer an HTTP request', ['method', 'route'])

  app.addHook('onResponse', (request, reply, next) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE
    requests.inc({ method: request.method, route, status_code: String(reply.statusCode) })
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
    next()
  })

  // Never rate limited: a scrape refused with 429 would be a gap in every graph.
  app.get('/metrics', { schema: { hide: true }, config: { rateLimit: false } }, (_request, reply) => {
    void reply.type(registry.contentType)
    return registry.metrics()
  })
  done()
}

// fastify-plugin: the onResponse hook must see every route of the server.
export const metricsPlugin = fp(metrics, { name: '@orderflow/http/metrics', fastify: '5.x' })
