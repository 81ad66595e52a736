import fc from 'fast-check'
import { SERVICES, type ServiceName } from '../platform.js'
import type { Method } from './oracle.js'
import type { RouteFuzz } from './seeds.js'
import { authorization } from './tokens.js'
import { anyJson, contentType, queryString, segment, sometimes, text } from './values.js'

const service = fc.constantFrom(...(Object.keys(SERVICES) as ServiceName[]))
const method = fc.constantFrom<Method>('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')

/** Every service's public routes (probes, metrics, docs), any method on any path, with or without a token and a body. */
export function commonRoutes(): RouteFuzz[] {
  const path = fc.oneof(
    fc.constantFrom('/livez', '/readyz', '/metrics', '/docs', '/docs/json', '/docs/yaml', '/docs/static/index.html', '/docs/static/swagger-ui.css'),
    segment(text).map((s) => `/docs/static/${s}`),
    fc.constantFrom('/v1/orders', '/v1/inventory', '/v1/payments', '/v1/shipments', '/v1/notifications', '/v1/dead-letters', '/v1', '/', '//', '/v1/orders/'),
    fc.array(segment(text), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    fc.array(segment(text), { minLength: 1, maxLength: 3 }).map((parts) => `/v1/${parts.join('/')}`),
  )
  return [
    {
      name: 'probes, metrics, docs and unknown routes of every service',
      runs: 1000,
      request: fc
        .record({
          service,
          method: fc.oneof({ weight: 3, arbitrary: fc.constant<Method>('GET') }, { weight: 2, arbitrary: method }),
          path,
          query: queryString({ x: text }),
          auth: sometimes(authorization(['orders:read', 'orders:write', 'ops:dlq', 'inventory:write', 'payments:read']), 2),
          type: contentType,
          payload: sometimes(anyJson.map((v) => JSON.stringify(v)), 3),
        })
        .map(({ service, method, path, query, auth, type, payload }) => ({
          service,
          method,
          url: `${path}${query}`,
          headers: { ...auth, ...(payload === undefined || type === undefined ? {} : { 'content-type': type }) },
          // Fastify reads no body on GET and HEAD; sending one there only tests the test client.
          payload: method === 'GET' || method === 'HEAD' ? undefined : payload,
        })),
    },
  ]
}
