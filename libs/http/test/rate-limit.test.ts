import t from 'tap'
import { Registry } from 'prom-client'
import { mintToken } from '@orderflow/testing'
import { buildServer, protectedRoutes, rateLimitsFromSettings, requireRoles, type Plugin, type RateLimitOptions } from '@orderflow/http'
import { buildTestServer, json } from './fixtures.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const reader = (sub: string) => bearer(mintToken({ sub, roles: ['orders:read'] }))
const limits = (perMinute: Partial<RateLimitOptions['perMinute']>): RateLimitOptions => ({
  perMinute: { reads: 100, writes: 100, admin: 100, ...perMinute },
})

/** A test server with these limits, plus an operators' route and one that names its group. */
function limitedServer(perMinute: Partial<RateLimitOptions['perMinute']>, registry = new Registry()) {
  const server = buildTestServer({ rateLimits: limits(perMinute), registry })
  const ops: Plugin = async (api) => {
    api.get('/ops/state', { onRequest: requireRoles('ops:dlq') }, () => ({ ok: true }))
    api.get('/report', { config: { rateLimitGroup: 'admin' } }, () => ({ ok: true }))
  }
  void server.app.register(protectedRoutes(ops), { prefix: '/v1' })
  return { ...server, registry }
}

void t.test('a limited response carries the RateLimit headers; past the limit, 429 RATE_LIMITED as a problem', async (t) => {
  const { app, logs } = limitedServer({ reads: 2 })
  t.teardown(() => app.close())
  const get = () => app.inject({ method: 'GET', url: '/v1/orders/a1', headers: reader('ada') })

  const first = await get()
  t.equal(first.statusCode, 200)
  t.equal(first.headers['ratelimit-limit'], '2')
  t.equal(first.headers['ratelimit-remaining'], '1')
  t.ok(Number(first.headers['ratelimit-reset']) > 0 && Number(first.headers['ratelimit-reset']) <= 60, 'seconds until the window starts again')
  t.equal(first.headers['retry-after'], undefined, 'Retry-After only on a refusal')
  t.equal((await get()).headers['ratelimit-remaining'], '0')

  const refused = await get()
  t.equal(refused.statusCode, 429)
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
  const retryAfter = Number(refused.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After in whole seconds (${refused.headers['retry-after']})`)
  t.equal(refused.headers['ratelimit-remaining'], '0')
  t.equal(refused.headers['x-request-id'], json(refused).requestId)
  t.match(json(refused), {
    type: 'urn:orderflow:problem:rate-limited',
    title: 'Too many requests',
    status: 429,
    code: 'RATE_LIMITED',
    detail: `More than 2 requests a minute from this caller to reads routes; retry in ${retryAfter} s.`,
    instance: '/v1/orders/a1',
    routeGroup: 'reads',
    limitPerMinute: 2,
  })
  t.notOk(
    logs.some((l) => Number(l.level) >= 40),
    "a refusal is the client's doing: logged at info",
  )
})

void t.test('each subject has its own bucket', async (t) => {
  const { app } = limitedServer({ reads: 1 })
  t.teardown(() => app.close())
  const get = (sub: string) => app.inject({ method: 'GET', url: '/v1/orders/a1', headers: reader(sub) })
  t.equal((await get('ada')).statusCode, 200)
  t.equal((await get('ada')).statusCode, 429)
  const grace = await get('grace')
  t.equal(grace.statusCode, 200, "ada's limit is not grace's")
  t.equal(grace.headers['ratelimit-remaining'], '0')
  // Another token of the same subject (new roles, new expiry) is the same caller.
  const again = await app.inject({ method: 'GET', url: '/v1/orders/a1', headers: bearer(mintToken({ sub: 'ada', roles: ['orders:read', 'x'], expiresIn: 900 })) })
  t.equal(again.statusCode, 429, 'a fresh token does not reset its subject')
})

void t.test('a request without a token counts against its address, apart from the subjects calling from there', async (t) => {
  const { app } = limitedServer({ writes: 2, reads: 2 })
  t.teardown(() => app.close())
  const post = (remoteAddress: string) =>
    app.inject({ method: 'POST', url: '/v1/widgets', remoteAddress, payload: { name: 'w', items: [{ sku: 'S', quantity: 1 }] } })
  t.equal((await post('10.0.0.1')).statusCode, 201, 'a public route')
  t.equal((await post('10.0.0.1')).statusCode, 201)
  t.equal((await post('10.0.0.1')).statusCode, 429)
  t.equal((await post('10.0.0.2')).statusCode, 201, 'another address, another bucket')

  // A protected route without a token: its 401s count too, so an address cannot knock forever.
  const anonymous = () => app.inject({ method: 'GET', url: '/v1/orders/a1', remoteAddress: '10.0.0.3' })
  t.equal((await anonymous()).statusCode, 401)
  t.equal((await anonymous()).statusCode, 401)
  const refused = await anonymous()
  t.equal(refused.statusCode, 429)
  t.equal(json(refused).code, 'RATE_LIMITED')
  const withToken = await app.inject({ method: 'GET', url: '/v1/orders/a1', remoteAddress: '10.0.0.3', headers: reader('ada') })
  t.equal(withToken.statusCode, 200, 'a caller with a token at that address has its own bucket')
})

void t.test("a token that does not verify neither uses nor spends its subject's bucket", async (t) => {
  const { app } = limitedServer({ reads: 3 })
  t.teardown(() => app.close())
  const victim = () => app.inject({ method: 'GET', url: '/v1/orders/a1', headers: reader('victim') })
  t.equal((await victim()).headers['ratelimit-remaining'], '2')

  const forgeries = [
    ['signed with another secret', mintToken({ sub: 'victim', roles: ['orders:read'], secret: 'an-attacker-secret-0123456789abcdef' })],
    ['expired', mintToken({ sub: 'victim', roles: ['orders:read'], expiresIn: -60 })],
    ['not a JWT', 'victim'],
  ] as const
  for (const [i, [what, token]] of forgeries.entries()) {
    const res = await app.inject({ method: 'GET', url: '/v1/orders/a1', headers: bearer(token) })
    t.equal(res.statusCode, 401, `${what}: 401`)
    t.equal(res.headers['ratelimit-remaining'], String(2 - i), `${what}: counted against the address`)
  }
  const fourth = await app.inject({ method: 'GET', url: '/v1/orders/a1', headers: bearer(forgeries[0][1]) })
  t.equal(fourth.statusCode, 429, "the forger's address is over its limit")
  const still = await victim()
  t.equal(still.statusCode, 200, 'the victim is untouched')
  t.equal(still.headers['ratelimit-remaining'], '1')

  // A signed token whose subject no service can record is refused, so it is no subject either.
  const flawed = await app.inject({ method: 'GET', url: '/v1/orders/a1', remoteAddress: '10.9.9.9', headers: reader('x'.repeat(201)) })
  t.equal(flawed.statusCode, 401)
  t.equal(flawed.headers['ratelimit-remaining'], '2', 'counted against its address')
})

void t.test('probes, /metrics and /docs are never limited, even when their caller is over every limit', async (t) => {
  const { app } = limitedServer({ reads: 1, writes: 1, admin: 1 })
  t.teardown(() => app.close())
  await app.inject({ method: 'GET', url: '/v1/things/1' })
  t.equal((await app.inject({ method: 'GET', url: '/v1/things/1' })).statusCode, 429, 'the address is over its limit')
  for (const url of ['/livez', '/readyz', '/metrics', '/docs/json', '/docs']) {
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url })
      t.not(res.statusCode, 429, `${url} #${i + 1}`)
      t.equal(res.headers['ratelimit-limit'], undefined, `${url}: no RateLimit headers`)
    }
  }
})

void t.test('operators’ routes count in admin, apart from reads; a route may name its group', async (t) => {
  const { app } = limitedServer({ reads: 5, admin: 1 })
  t.teardown(() => app.close())
  const operator = bearer(mintToken({ sub: 'op', roles: ['ops:dlq', 'orders:read'] }))
  const first = await app.inject({ method: 'GET', url: '/v1/ops/state', headers: operator })
  t.equal(first.statusCode, 200)
  t.equal(first.headers['ratelimit-limit'], '1', "a route needing only ops:* roles is admin's")
  const refused = await app.inject({ method: 'GET', url: '/v1/ops/state', headers: operator })
  t.equal(refused.statusCode, 429)
  t.match(json(refused), { routeGroup: 'admin', limitPerMinute: 1 })
  const read = await app.inject({ method: 'GET', url: '/v1/orders/a1', headers: operator })
  t.equal(read.statusCode, 200, 'the same caller still reads')
  t.equal(read.headers['ratelimit-limit'], '5')
  t.equal((await app.inject({ method: 'GET', url: '/v1/report', headers: operator })).statusCode, 429, 'config.rateLimitGroup: admin, spent already')
})

void t.test('writes count apart from reads; an unmatched request counts by its method', async (t) => {
  const { app } = limitedServer({ reads: 1, writes: 1 })
  t.teardown(() => app.close())
  const writer = bearer(mintToken({ sub: 'w', roles: ['orders:write', 'orders:cancel', 'orders:read'] }))
  const cancel = await app.inject({ method: 'POST', url: '/v1/orders/a1/cancel', headers: writer })
  t.equal(cancel.statusCode, 409, 'a write')
  t.equal(cancel.headers['ratelimit-limit'], '1')
  t.equal((await app.inject({ method: 'GET', url: '/v1/orders/a1', headers: writer })).statusCode, 200, 'reads still open')
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/nowhere', headers: writer })).statusCode, 429, 'an unmatched DELETE is a write')
  t.equal((await app.inject({ method: 'GET', url: '/v1/nowhere' })).statusCode, 404, 'an unmatched GET from the address: its first read')
  t.equal((await app.inject({ method: 'GET', url: '/v1/nowhere' })).statusCode, 429)
})

void t.test('a group set to 0 has no limit', async (t) => {
  const { app } = limitedServer({ writes: 0, reads: 1 })
  t.teardown(() => app.close())
  for (let i = 0; i < 20; i++) {
    const res = await app.inject({ method: 'POST', url: '/v1/widgets', payload: { name: 'w', items: [{ sku: 'S', quantity: 1 }] } })
    if (res.statusCode !== 201 || res.headers['ratelimit-limit'] !== undefined) {
      t.fail(`write #${i + 1}: ${res.statusCode}, ratelimit-limit ${String(res.headers['ratelimit-limit'])}`)
      return
    }
  }
  t.pass('20 writes, none limited')
  await app.inject({ method: 'GET', url: '/v1/things/1' })
  t.equal((await app.inject({ method: 'GET', url: '/v1/things/1' })).statusCode, 429, 'reads keep their limit')
})

void t.test('refusals are counted per route group on the registry /metrics serves', async (t) => {
  const { app, registry } = limitedServer({ reads: 1, writes: 0 })
  t.teardown(() => app.close())
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/v1/things/1' })
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(text, 'http_requests_rate_limited_total{route_group="reads"} 2')
  t.match(text, 'http_requests_rate_limited_total{route_group="admin"} 0', 'a group with a limit shows from the start')
  t.notMatch(text, 'route_group="writes"', 'a group without a limit has no series')
  t.match(text, 'http_requests_total{method="GET",route="/v1/things/:id",status_code="429"} 2')
  t.match(await registry.metrics(), 'http_requests_rate_limited_total{route_group="reads"} 2', "on the server's registry")
})

void t.test('without rateLimits, or with RATE_LIMIT_ENABLED=false, nothing is limited', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/v1/things/1' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['ratelimit-limit'], undefined)
  const settings = { RATE_LIMIT_READS_PER_MINUTE: 1200, RATE_LIMIT_WRITES_PER_MINUTE: 600, RATE_LIMIT_ADMIN_PER_MINUTE: 0 }
  t.equal(rateLimitsFromSettings({ ...settings, RATE_LIMIT_ENABLED: false }), undefined)
  t.same(rateLimitsFromSettings({ ...settings, RATE_LIMIT_ENABLED: true }), { perMinute: { reads: 1200, writes: 600, admin: 0 } })
})

void t.test('a limit that is not a whole number of requests stops the server from being built', async (t) => {
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(
      () => buildServer({ serviceName: 'x', openapi: false, rateLimits: limits({ writes: bad }) }),
      { name: 'TypeError', message: /rateLimits\.perMinute\.writes .* must be a whole number of requests, 0 for no limit/ },
      String(bad),
    )
  }
})

void t.test('the limiter verifies the token without lending request.user to a route outside protectedRoutes', async (t) => {
  const { app } = limitedServer({ admin: 10 })
  const misplaced: Plugin = async (api) => {
    api.get('/oops', { onRequest: requireRoles('ops:dlq') }, () => ({ leaked: true }))
  }
  void app.register(misplaced)
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/oops', headers: bearer(mintToken({ roles: ['ops:dlq'] })) })
  t.equal(res.statusCode, 401, 'still fails closed')
  t.equal(res.headers['ratelimit-limit'], '10', 'and was counted')
})

void t.test('the OpenAPI document shows the 429 of each limited route', async (t) => {
  const { app } = limitedServer({ reads: 50, writes: 0 })
  t.teardown(() => app.close())
  const doc = json(await app.inject({ method: 'GET', url: '/docs/json' })) as {
    paths: Record<string, Record<string, { responses: Record<string, { description: string; content?: Record<string, unknown> }> }>>
  }
  const read = doc.paths['/v1/orders/{id}']?.get?.responses
  t.match(read?.['429']?.description, /limit of 50 requests a minute to reads routes/)
  t.ok(read?.['429']?.content?.['application/problem+json'], 'as a problem')
  t.ok(read?.['200'] && read['401'] && read['404'], 'beside the responses the route declares and those of auth')
  t.equal(doc.paths['/v1/widgets']?.post?.responses['429'], undefined, 'writes are not limited')
})
