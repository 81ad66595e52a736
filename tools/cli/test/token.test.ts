import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { splitList } from '@orderflow/config'
import { createVerifier } from 'fast-jwt'
import { ALL_ROLES, main } from '@orderflow/cli'

const execFileP = promisify(execFile)

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

t.test('CUSTOMER or --customer prints a customer token: its id as sub, the role customer only', async (t) => {
  const fromEnv = await run(['token'], { JWT_SECRETS: 's', CUSTOMER: 'c-42', ROLES: 'orders:read' })
  t.match(createVerifier({ key: 's' })(fromEnv.out), { roles: ['customer'], sub: 'c-42' })
  const fromFlag = await run(['token', '--customer', 'c-7'], { JWT_SECRETS: 's' })
  t.match(createVerifier({ key: 's' })(fromFlag.out), { roles: ['customer'], sub: 'c-7' })
  t.match(await run(['token', '--customer', 'c-7', '--roles', 'orders:read'], { JWT_SECRETS: 's' }), { code: 2, out: /--customer takes/ })
  t.match(await run(['token', '--customer', ''], { JWT_SECRETS: 's' }), { code: 2, out: /--customer takes/ })
})

t.test('errors: no secret, bad ttl, unknown option, unknown command', async (t) => {
  t.match(await run(['token'], {}), { code: 2, out: /JWT_SECRETS is not set/ })
  t.match(await run(['token', '--ttl', 'soon'], { JWT_SECRETS: 's' }), { code: 2, out: /--ttl must be a positive/ })
  t.match(await run(['token', '--bogus'], { JWT_SECRETS: 's' }), { code: 2, out: /Unknown option '--bogus'/ })
  t.match(await run(['frobnicate']), { code: 2, out: /unknown command frobnicate/ })
  t.match(await run([]), { code: 2, out: /usage: orderflow/ })
})

t.test('make token prints only a token, from the sources, with no build', async (t) => {
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  // What make would run: nothing that compiles (install is up to date, or only installs).
  const plan = await execFileP('make', ['-n', 'token'], { cwd: root })
  t.notMatch(plan.stdout, /\btsc\b/, 'no tsc -b before printing a token')
  t.match(plan.stdout, /tools\/cli\/src\/token\.main\.ts/)

  // The recipe itself, as `make -s token` runs it (install assumed done: a test never runs npm ci).
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NODE_') && !k.startsWith('TAP')) env[k] = v
  const started = Date.now()
  const { stdout } = await execFileP('make', ['-s', '-o', 'install', 'token'], { cwd: root, env: { ...env, JWT_SECRETS: 'make-token-test', ROLES: 'orders:read' } })
  t.ok(Date.now() - started < 10_000, `printed in ${Date.now() - started} ms`)
  t.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'exactly one JWT and a newline')
  // The recipe loads .run/dev.env (written by make up) over the environment, as the CLI's secret.
  const devEnv = await readFile(`${root}.run/dev.env`, 'utf8').catch(() => '')
  const secrets = /^JWT_SECRETS=(.*)$/m.exec(devEnv)?.[1] ?? 'make-token-test'
  const secret = splitList(secrets)[0] ?? ''
  const claims = createVerifier({ key: secret, algorithms: ['HS256'] })(stdout.trim()) as { roles: string[]; sub: string }
  t.same(claims.roles, ['orders:read'])
  t.equal(claims.sub, 'dev-user')

  // make token CUSTOMER=c-42: a variable on make's command line reaches the recipe's environment.
  const customer = await execFileP('make', ['-s', '-o', 'install', 'token', 'CUSTOMER=c-42'], { cwd: root, env: { ...env, JWT_SECRETS: 'make-token-test' } })
  t.match(createVerifier({ key: secret, algorithms: ['HS256'] })(customer.stdout.trim()), { roles: ['customer'], sub: 'c-42' })
})
