import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { mintToken } from '@orderflow/testing'
import { buildTestServer, json } from './fixtures.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

const PROBLEM = 'application/problem+json; charset=utf-8'

/** An RS256 token signed with node:crypto, as an identity provider would issue it. */
function rs256Token(privateKey: KeyObject, kid: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ sub: 'cust-1', roles: ['orders:read'], iat: now, exp: now + 300, ...claims })}`
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
}

/** Serves `handler` on 127.0.0.1 for the test; returns its base URL. */
async function serve(t: Teardown, handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

const signing = generateKeyPairSync('rsa', { modulusLength: 2048 })
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })

void t.test('RS256 tokens verify against the keys of a JWKS URL', async (t) => {
  let fetches = 0
  const jwk = { ...signing.publicKey.export({ format: 'jwk' }), kid: 'key-1', alg: 'RS256', use: 'sig' }
  const { url } = await serve(t, (req, res) => {
    if (req.url !== '/realms/orderflow/certs') return res.writeHead(404).end()
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  const { app } = buildTestServer({ auth: { jwksUrl: `${url}/realms/orderflow/certs` } })
  t.teardown(() => app.close())
  const get = (token: string) => app.inject({ method: 'GET', url: '/v1/orders/o1', headers: { authorization: `Bearer ${token}` } })

  const ok = await get(rs256Token(signing.privateKey, 'key-1'))
  t.equal(ok.statusCode, 200, 'signed with the published key')
  t.match(json(ok), { id: 'o1', owner: 'cust-1' })
  t.equal((await get(rs256Token(signing.privateKey, 'key-1'))).statusCode, 200)
  t.equal(fetches, 1, 'the key is cached after the first fetch')

  const forged = await get(rs256Token(stranger.privateKey, 'key-1'))
  t.equal(forged.statusCode, 401, 'signed with another key under the same kid')
  t.equal(forged.headers['content-type'], PROBLEM)
  t.match(json(forged), { code: 'UNAUTHORIZED', detail: /signature is invalid/ })

  const unknownKid = await get(rs256Token(stranger.privateKey, 'key-2'))
  t.equal(unknownKid.statusCode, 401, 'a kid the provider does not publish')
  t.equal(unknownKid.headers['www-authenticate'], 'Bearer error="invalid_token"')
  t.match(json(unknownKid), { code: 'UNAUTHORIZED', detail: 'The token was signed with a key the identity provider does not publish.' })

  const hs = await get(mintToken({ roles: ['orders:read'] }))
  t.equal(hs.statusCode, 401, 'an HS256 token is refused when the server expects RS256')
  t.match(json(hs), { code: 'UNAUTHORIZED', detail: 'The token algorithm is invalid: expected RS256.' })
  t.equal(fetches, 2, 'only the unknown kid made the server fetch the keys again')

  const expired = await get(rs256Token(signing.privateKey, 'key-1', { exp: Math.floor(Date.now() / 1000) - 10 }))
  t.equal(expired.statusCode, 401)
  t.match(json(expired), { detail: 'The token has expired.' })
})

void t.test('an identity provider that fails or is unreachable gives 503 AUTH_UNAVAILABLE, not 401', async (t) => {
  const failing = await serve(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}')
  })
  const hanging = await serve(t, () => {
    // never answers
  })
  const closed = await serve(t, () => undefined)
  closed.server.close()
  await new Promise((resolve) => setTimeout(resolve, 20))

  for (const [name, jwksUrl] of [
    ['HTTP 500', `${failing.url}/jwks.json`],
    ['no answer within jwksTimeoutMs', `${hanging.url}/jwks.json`],
    ['connection refused', `${closed.url}/jwks.json`],
  ] as const) {
    const { app, logs } = buildTestServer({ auth: { jwksUrl, jwksTimeoutMs: 300 } })
    const res = await app.inject({
      method: 'GET',
      url: '/v1/orders/o1',
      headers: { authorization: `Bearer ${rs256Token(signing.privateKey, 'key-1')}` },
    })
    t.equal(res.statusCode, 503, name)
    t.equal(res.headers['content-type'], PROBLEM, name)
    t.equal(res.headers['retry-after'], '5', name)
    t.match(json(res), { code: 'AUTH_UNAVAILABLE', status: 503, detail: 'The keys to verify tokens cannot be fetched right now; retry shortly.' }, name)
    t.match(logs.find((l) => l.code === 'AUTH_UNAVAILABLE'), { level: 40, err: {} }, `${name}: the cause is logged`)
    await app.close()
  }
})

void t.test('with rate limits, an identity provider that fails is asked once per request and the request counts against its address', async (t) => {
  let fetches = 0
  const failing = await serve(t, (_req, res) => {
    fetches++
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}')
  })
  const { app } = buildTestServer({
    auth: { jwksUrl: `${failing.url}/jwks.json`, jwksTimeoutMs: 300 },
    rateLimits: { perMinute: { reads: 1, writes: 1, admin: 1 } },
  })
  t.teardown(() => app.close())
  const get = () => app.inject({ method: 'GET', url: '/v1/orders/o1', headers: { authorization: `Bearer ${rs256Token(signing.privateKey, 'key-1')}` } })
  const res = await get()
  t.equal(res.statusCode, 503, 'the limiter does not turn the outage into a 500')
  t.match(json(res), { code: 'AUTH_UNAVAILABLE' })
  t.equal(fetches, 1, 'one verification for the limiter and the route alike')
  t.equal(res.headers['ratelimit-limit'], '1', 'counted')
  const again = await get()
  t.equal(again.statusCode, 429, 'against the address: the subject is unknown while the keys are')
})
