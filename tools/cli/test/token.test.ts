import t from 'tap'
import { createVerifier } from 'fast-jwt'
import { ALL_ROLES, main } from '@orderflow/cli'

const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const out: string[] = []
  const code = await main(argv, env, (s) => out.push(s))
  return { code, out: out.join('\n') }
}

t.test('signs a token with the first secret carrying every role by default', async (t) => {
  const { code, out } = await run(['token'], { JWT_SECRETS: 'first-secret,second-secret' })
  t.equal(code, 0)
  const claims = createVerifier({ key: 'first-secret', algorithms: ['HS256'] })(out) as { roles: string[]; sub: string; exp: number }
  t.same(claims.roles, [...ALL_ROLES])
  t.equal(claims.sub, 'dev-user')
  t.ok(claims.exp > Date.now() / 1000 + 3600)
})

t.test('ROLES or --roles narrows the token', async (t) => {
  const env = { JWT_SECRETS: 's', ROLES: 'orders:read' }
  const fromEnv = await run(['token'], env)
  t.same((createVerifier({ key: 's' })(fromEnv.out) as { roles: string[] }).roles, ['orders:read'])
  const fromFlag = await run(['token', '--roles', 'ops:dlq, orders:write', '--sub', 'alice'], env)
  t.match(createVerifier({ key: 's' })(fromFlag.out), { roles: ['ops:dlq', 'orders:write'], sub: 'alice' })
})

t.test('errors: no secret, bad ttl, unknown option, unknown command', async (t) => {
  t.match(await run(['token'], {}), { code: 2, out: /JWT_SECRETS is not set/ })
  t.match(await run(['token', '--ttl', 'soon'], { JWT_SECRETS: 's' }), { code: 2, out: /--ttl must be a positive/ })
  t.match(await run(['token', '--bogus'], { JWT_SECRETS: 's' }), { code: 2, out: /Unknown option '--bogus'/ })
  t.match(await run(['frobnicate']), { code: 2, out: /unknown command frobnicate/ })
  t.match(await run([]), { code: 2, out: /usage: orderflow/ })
})
