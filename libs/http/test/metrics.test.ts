import t from 'tap'
import { Registry } from 'prom-client'
import { mintToken } from '@orderflow/testing'
import { buildTestServer } from './fixtures.js'

void t.test('/metrics exposes request counts and durations labelled by route pattern', async (t) => {
  const registry = new Registry()
  const { app } = buildTestServer({ registry })
  t.teardown(() => app.close())
  const token = mintToken({ roles: ['orders:read'] })
  await app.inject({ method: 'GET', url: '/v1/orders/a1', headers: { authorization: `Bearer ${token}` } })
  await app.inject({ method: 'GET', url: '/v1/orders/b2', headers: { authorization: `Bearer ${token}` } })
  await app.inject({ method: 'GET', url: '/v1/orders/c3' })
  await app.inject({ method: 'GET', url: '/v1/boom' })
  await app.inject({ method: 'GET', url: '/no/such/path/123' })
  await app.inject({ method: 'GET', url: '/no/such/path/456' })

  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = res.body
  t.match(text, 'http_requests_total{method="GET",route="/v1/orders/:id",status_code="200"} 2')
  t.match(text, 'http_requests_total{method="GET",route="/v1/orders/:id",status_code="401"} 1')
  t.match(text, 'http_requests_total{method="GET",route="/v1/boom",status_code="500"} 1')
  t.match(text, `http_requests_total{method="GET",route="not_found",status_code="404"} 2`)
  t.match(text, /http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/v1\/orders\/:id"\} \d/)
  t.match(text, 'http_request_duration_seconds_count{method="GET",route="/v1/orders/:id"} 3')
  t.notMatch(text, /a1|b2|c3|\/no\/such/, 'no raw URLs in labels')
})

void t.test('default process metrics are registered once on a shared registry', async (t) => {
  const registry = new Registry()
  const first = buildTestServer({ registry, defaultMetrics: true })
  const second = buildTestServer({ registry, defaultMetrics: true })
  t.teardown(() => Promise.all([first.app.close(), second.app.close()]))
  await first.app.ready()
  await second.app.ready()
  await second.app.inject({ method: 'GET', url: '/livez' })
  const text = await registry.metrics()
  t.equal(text.match(/^# TYPE process_cpu_seconds_total/gm)?.length, 1)
  t.match(text, /nodejs_eventloop_lag_seconds/)
  t.match(text, 'http_requests_total{method="GET",route="/livez",status_code="200"} 1', 'the http metrics are shared too')
})

void t.test('a registry is created when none is given', async (t) => {
  const { app } = buildTestServer({ defaultMetrics: true })
  t.teardown(() => app.close())
  await app.inject({ method: 'GET', url: '/livez' })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.match(res.body, /process_cpu_seconds_total/)
  t.match(res.body, 'http_requests_total{method="GET",route="/livez",status_code="200"} 1')
})
