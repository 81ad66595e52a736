import { createHmac } from 'node:crypto'
import t from 'tap'
import { mintToken, TEST_JWT_SECRETS } from '@orderflow/testing'
import { authOptionsFromSettings, buildServer, CUSTOMER_ROLE, customerScope, protectedRoutes, requireAnyRole, requireRoles, type Plugin } from '@orderflow/http'
import { buildTestServer, json } from './fixtures.js'

const PROBLEM = 'application/problem+json; charset=utf-8'
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** An HS256 token with any header and claims, for cases `mintToken` cannot express. */
function handMadeToken(header: object, claims: object, secret: string = TEST_JWT_SECRETS[0]): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${b64(header)}.${b64(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

void t.test('protected routes answer 401 UNAUTHORIZED, each failure with its own detail', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const now = Math.floor(Date.now() / 1000)
  const cases: [string, Record<string, string>, string, string][] = [
    ['no token', {}, 'No bearer token in the Authorization header.', 'Bearer'],
    ['not a bearer scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'No bearer token in the Authorization header.', 'Bearer'],
    ['a malformed header', { authorization: 'Bearer a b' }, "The Authorization header must be 'Bearer <token>'.", 'Bearer error="invalid_request"'],
    ['an expired token', bearer(mintToken({ expiresIn: -60 })), 'The token has expired.', 'Bearer error="invalid_token"'],
    [
      'a token signed by an unknown secret',
      bearer(mintToken({ secret: 'some-other-secret-0123456789abcdef' })),
      'The token is invalid: Authorization token is invalid: The token signature is invalid.',
      'Bearer error="invalid_token"',
    ],
    [
      'an expired token signed by an unknown secret',
      bearer(mintToken({ secret: 'some-other-secret-0123456789abcdef', expiresIn: -60 })),
      'The token is invalid: Authorization token is invalid: The token signature is invalid.',
      'Bearer error="invalid_token"',
    ],
    ['a token that is not a JWT', bearer('not-a-jwt'), 'The token is invalid: Authorization token is invalid: The token is malformed.', 'Bearer error="invalid_token"'],
    [
      'a token without exp',
      bearer(handMadeToken({ alg: 'HS256', typ: 'JWT' }, { sub: 'u1', roles: ['orders:read'] })),
      'The token is invalid: Authorization token is invalid: The exp claim is required.',
      'Bearer error="invalid_token"',
    ],
    [
      'a token without sub',
      bearer(handMadeToken({ alg: 'HS256', typ: 'JWT' }, { exp: now + 60 })),
      'The token is invalid: Authorization token is invalid: The sub claim is required.',
      'Bearer error="invalid_token"',
    ],
    [
      'an unsigned token (alg none)',
      bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', exp: now + 60 })).toString('base64url')}.`),
      'The token is invalid: Unsigned authorization token',
      'Bearer error="invalid_token"',
    ],
    [
      'a token with another HMAC algorithm',
      bearer(
        (() => {
          const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
          const input = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64({ sub: 'u', exp: now + 60 })}`
          return `${input}.${createHmac('sha512', TEST_JWT_SECRETS[0]).update(input).digest('base64url')}`
        })(),
      ),
      'The token is invalid: The token algorithm is invalid.',
      'Bearer error="invalid_token"',
    ],
    // Subjects the services could not record (they store it in varchar(200) columns): a 401, not a 500.
    ['a sub of 201 characters', bearer(mintToken({ sub: 'x'.repeat(201) })), 'The token is invalid: its sub claim is longer than 200 characters.', 'Bearer error="invalid_token"'],
    ['a sub with NUL', bearer(mintToken({ sub: 'cust\u00007' })), 'The token is invalid: its sub claim must not contain NUL (U+0000).', 'Bearer error="invalid_token"'],
    [
      'a sub with an unpaired surrogate',
      bearer(mintToken({ sub: 'cust\ud8007' })),
      'The token is invalid: its sub claim must not contain an unpaired UTF-16 surrogate.',
      'Bearer error="invalid_token"',
    ],
    ['an empty sub', bearer(mintToken({ sub: '' })), 'The token is invalid: its sub claim must be a non-empty string.', 'Bearer error="invalid_token"'],
    ['a sub that is a number', bearer(mintToken({ extra: { sub: 42 } })), 'The token is invalid: its sub claim must be a non-empty string.', 'Bearer error="invalid_token"'],
  ]
  for (const [name, headers, detail, challenge] of cases) {
    const res = await app.inject({ method: 'GET', url: '/v1/me', headers })
    t.equal(res.statusCode, 401, name)
    t.equal(res.headers['content-type'], PROBLEM, name)
    t.equal(res.headers['www-authenticate'], challenge, name)
    t.match(json(res), { code: 'UNAUTHORIZED', status: 401, title: 'Unauthorized', detail }, name)
  }
})

void t.test('a sub of exactly 200 characters, or with characters beyond the BMP, is accepted', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  for (const sub of ['x'.repeat(200), 'kund-\u{1F600}-ü']) {
    const res = await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ sub })) })
    t.equal(res.statusCode, 200, sub)
    t.same(json(res), { sub, roles: [] })
  }
})

void t.test('a token signed with the second secret is accepted (rotation), and so is the first', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  for (const secret of TEST_JWT_SECRETS) {
    const res = await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ secret, sub: 'cust-7', roles: ['orders:read', 7] as never })) })
    t.equal(res.statusCode, 200, secret)
    t.same(json(res), { sub: 'cust-7', roles: ['orders:read'] }, 'request.user carries sub and the string roles')
  }
  // app.jwt.sign signs with the first secret, which verifies.
  const signed = app.jwt.sign({ sub: 'svc', roles: ['orders:read'] }, { expiresIn: 60 })
  const res = await app.inject({ method: 'GET', url: '/v1/orders/o1', headers: bearer(signed) })
  t.equal(res.statusCode, 200)
  t.match(json(res), { id: 'o1', owner: 'svc' })
})

void t.test('a token accepted once is refused after it expires (verified tokens are cached)', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const token = bearer(mintToken({ expiresIn: 2 }))
  t.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: token })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: token })).statusCode, 200, 'again, from the cache')
  await new Promise((resolve) => setTimeout(resolve, 2_100))
  const expired = await app.inject({ method: 'GET', url: '/v1/me', headers: token })
  t.equal(expired.statusCode, 401)
  t.match(json(expired), { detail: 'The token has expired.' })
})

void t.test('with a single secret, its tokens verify and others do not', async (t) => {
  const { app } = buildTestServer({ auth: { hsSecrets: [TEST_JWT_SECRETS[1]] } })
  t.teardown(() => app.close())
  t.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ secret: TEST_JWT_SECRETS[1] })) })).statusCode, 200)
  const foreign = await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ secret: TEST_JWT_SECRETS[0] })) })
  t.equal(foreign.statusCode, 401)
  t.match(json(foreign).detail, /signature is invalid/)
})

void t.test('a token without the route role is 403 FORBIDDEN naming the missing roles', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const none = await app.inject({ method: 'GET', url: '/v1/orders/o1', headers: bearer(mintToken()) })
  t.equal(none.statusCode, 403)
  t.equal(none.headers['content-type'], PROBLEM)
  t.equal(none.headers['www-authenticate'], 'Bearer error="insufficient_scope"')
  t.match(json(none), { code: 'FORBIDDEN', status: 403, detail: 'The token lacks the role orders:read.', missingRoles: ['orders:read'] })

  const partial = await app.inject({ method: 'POST', url: '/v1/orders/o1/cancel', headers: bearer(mintToken({ roles: ['orders:write'] })) })
  t.equal(partial.statusCode, 403, 'every listed role is required')
  t.match(json(partial), { detail: 'The token lacks the role orders:cancel.', missingRoles: ['orders:cancel'] })

  const roleless = await app.inject({ method: 'GET', url: '/v1/orders/o1', headers: bearer(mintToken({ extra: { roles: 'orders:read' } })) })
  t.equal(roleless.statusCode, 403, 'a roles claim that is not an array grants nothing')

  const ok = await app.inject({ method: 'GET', url: '/v1/orders/o1', headers: bearer(mintToken({ roles: ['orders:read'] })) })
  t.equal(ok.statusCode, 200)
})

void t.test('auth is checked before the body is read', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'POST', url: '/v1/orders/o1/cancel', headers: { 'content-type': 'text/plain' }, payload: 'junk' })
  t.equal(res.statusCode, 401, 'not 415: an anonymous client learns nothing about the route')
})

void t.test('public routes, probes and docs need no token', async (t) => {
  const { app } = buildTestServer()
  t.teardown(() => app.close())
  for (const url of ['/livez', '/readyz', '/metrics', '/docs/json', '/v1/things/x']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
  }
})

void t.test('issuer and audience are enforced when configured', async (t) => {
  const { app } = buildTestServer({ auth: { hsSecrets: [...TEST_JWT_SECRETS], issuer: 'https://id.orderflow', audience: 'orderflow-api' } })
  t.teardown(() => app.close())
  const good = mintToken({ extra: { iss: 'https://id.orderflow', aud: ['other', 'orderflow-api'] } })
  t.equal((await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(good) })).statusCode, 200)
  const wrongIss = await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ extra: { iss: 'https://evil', aud: 'orderflow-api' } })) })
  t.equal(wrongIss.statusCode, 401)
  t.match(json(wrongIss).detail, /iss claim value is not allowed/)
  const noAud = await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ extra: { iss: 'https://id.orderflow' } })) })
  t.equal(noAud.statusCode, 401)
  t.match(json(noAud).detail, /aud claim is required/)
  const noIss = await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(mintToken({ extra: { aud: 'orderflow-api' } })) })
  t.equal(noIss.statusCode, 401)
  t.match(json(noIss).detail, /iss claim is required/)
})

void t.test('requireRoles outside protectedRoutes fails closed with 401', async (t) => {
  const { app } = buildTestServer()
   
  const misplaced: Plugin = async (api) => {
    api.get('/oops', { onRequest: requireRoles('ops:dlq') }, () => ({ leaked: true }))
  }
  void app.register(misplaced)
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/oops', headers: bearer(mintToken({ roles: ['ops:dlq'] })) })
  t.equal(res.statusCode, 401)
  t.match(json(res), { code: 'UNAUTHORIZED', detail: 'This route needs a bearer token.' })
  t.throws(() => requireRoles(), /at least one role/)
})

void t.test('requireAnyRole admits one of its roles; customerScope narrows a customer who is not staff', async (t) => {
  const { app } = buildTestServer()
  const routes: Plugin = async (api) => {
    api.get('/mine', { onRequest: requireAnyRole('orders:read', CUSTOMER_ROLE) }, (request) => ({ scope: customerScope(request.user, 'orders:read') ?? null }))
  }
  void app.register(protectedRoutes(routes), { prefix: '/v1' })
  t.teardown(() => app.close())
  const get = (roles: string[]) => app.inject({ method: 'GET', url: '/v1/mine', headers: bearer(mintToken({ sub: 'c-1', roles })) })
  t.same(json(await get(['orders:read'])), { scope: null }, 'staff: every row')
  t.same(json(await get([CUSTOMER_ROLE])), { scope: 'c-1' }, "a customer: its own rows")
  t.same(json(await get([CUSTOMER_ROLE, 'orders:read'])), { scope: null }, 'staff and customer: staff reach')
  const refused = await get(['orders:write'])
  t.equal(refused.statusCode, 403)
  t.match(json(refused), { code: 'FORBIDDEN', detail: 'The token needs one of the roles orders:read, customer.', missingRoles: ['orders:read', 'customer'] })
  t.throws(() => requireAnyRole(), /at least one role/)
  t.same(
    app.registeredRoutes.find((r) => r.url === '/v1/mine'),
    { method: 'GET', url: '/v1/mine', roles: ['orders:read', 'customer'] },
    'the route table names its roles',
  )
  t.ok(app.registeredRoutes.every((r) => r.method !== 'HEAD'), 'no HEAD twins')
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, { get: { security: unknown } }> }>()
  t.same(doc.paths['/v1/mine']?.get.security, [{ bearerAuth: ['orders:read'] }, { bearerAuth: ['customer'] }], 'OpenAPI: either role, as two requirements')
})

void t.test('protectedRoutes refuses to register on a server without auth', async (t) => {
  const app = buildServer({ serviceName: 'no-auth', defaultMetrics: false })
  t.teardown(() => app.close())
  void app.register(
     
    protectedRoutes(async (api) => {
      api.get('/secret', () => 'x')
    }),
  )
  await t.rejects(async () => void (await app.ready()), /built without `auth` options/)
})

void t.test('auth options are checked when the server starts', async (t) => {
  for (const [auth, message] of [
    [{}, /hsSecrets or jwksUrl is required/],
    [{ hsSecrets: [] }, /hsSecrets or jwksUrl is required/],
    [{ hsSecrets: ['a', ''] }, /secret is empty/],
    [{ hsSecrets: ['a'], jwksUrl: 'http://127.0.0.1/jwks' }, /not both/],
  ] as const) {
    const app = buildServer({ serviceName: 'bad-auth', defaultMetrics: false, auth })
    await t.rejects(async () => void (await app.ready()), message, JSON.stringify(auth))
    await app.close()
  }
})

void t.test('authOptionsFromSettings maps the JWT_* settings', (t) => {
  t.same(authOptionsFromSettings({ JWT_SECRETS: ' new-secret , old-secret ,', JWT_ISSUER: 'iss', JWT_AUDIENCE: '' }), {
    hsSecrets: ['new-secret', 'old-secret'],
    issuer: 'iss',
    audience: undefined,
  })
  t.same(authOptionsFromSettings({ JWT_JWKS_URL: 'https://id/jwks' }), { jwksUrl: 'https://id/jwks', issuer: undefined, audience: undefined })
  t.throws(() => authOptionsFromSettings({}), /must be set/)
  t.throws(() => authOptionsFromSettings({ JWT_SECRETS: 'a', JWT_JWKS_URL: 'https://id/jwks' }), /not both/)
  t.end()
})
