// Every service's server gets its limits from the RATE_LIMIT_* settings: the service's own routes
// count as reads and writes, the dead-letter API (role ops:dlq) as admin.
import t from 'tap'
import Type from 'typebox'
import { loadConfig } from '@orderflow/config'
import { InboxMessage } from '@orderflow/db'
import { protectedRoutes, requireRoles, type Plugin } from '@orderflow/http'
import { provision } from '@orderflow/messaging'
import { buildServiceApp, defineService, openServiceContext, serviceProvisionPlan, serviceSettings } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, mintToken, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'

const widgets: Plugin = async (api) => {
  api.get('/widgets', { onRequest: requireRoles('widgets:read') }, () => ({ items: [] }))
  api.post('/widgets', { onRequest: requireRoles('widgets:write') }, () => ({ ok: true }))
}

const limited = defineService({
  name: 'limitstest',
  configSchema: Type.Object(serviceSettings(9999)),
  entities: [InboxMessage],
  migrationsPath: new URL('./unused', import.meta.url),
  openapi: { title: 'limits test', description: 'rate limits under test' },
  deadLetterApi: true,
  routes: (app) => void app.register(protectedRoutes(widgets), { prefix: '/v1' }),
})

const url = await createTestDatabase(t)
const nc = await connectTestNats(t)

/** The service's app as `runService` builds it, with these settings over the test's own. */
async function appWith(env: Record<string, string>) {
  const namespace = randomNamespace()
  const config = loadConfig(limited.configSchema, {
    DATABASE_URL: url,
    NATS_URL: TEST_NATS_URL,
    NATS_NAMESPACE: namespace,
    JWT_SECRETS: TEST_JWT_SECRETS.join(','),
    ...env,
  })
  const { ctx, close } = await openServiceContext(limited, config, createLogger({ serviceName: 'limitstest', level: 'silent' }))
  t.teardown(() => close())
  deleteStreamsAfter(t, nc, ...ctx.topology.streams().map((s) => s.name))
  await provision(ctx.bus.jsm, serviceProvisionPlan(limited, ctx.topology, 1))
  const app = buildServiceApp(limited, ctx)
  t.teardown(() => app.close())
  return app
}

const caller = { authorization: `Bearer ${mintToken({ sub: 'ops-1', roles: ['ops:dlq', 'widgets:read', 'widgets:write'] })}` }

t.test('the settings set each group: the service routes are reads and writes, the dead-letter API admin', async (t) => {
  const app = await appWith({ RATE_LIMIT_READS_PER_MINUTE: '3', RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_ADMIN_PER_MINUTE: '1' })
  const letters = await app.inject({ method: 'GET', url: '/v1/dead-letters', headers: caller })
  t.equal(letters.statusCode, 200)
  t.equal(letters.headers['ratelimit-limit'], '1')
  const refused = await app.inject({ method: 'GET', url: '/v1/dead-letters', headers: caller })
  t.equal(refused.statusCode, 429)
  t.match(refused.json(), { code: 'RATE_LIMITED', routeGroup: 'admin' })
  t.equal((await app.inject({ method: 'POST', url: '/v1/dead-letters/1/replay', headers: caller })).statusCode, 429, 'a replay is admin too')

  const read = await app.inject({ method: 'GET', url: '/v1/widgets', headers: caller })
  t.equal(read.statusCode, 200)
  t.equal(read.headers['ratelimit-limit'], '3')
  const write = await app.inject({ method: 'POST', url: '/v1/widgets', headers: caller })
  t.equal(write.statusCode, 200)
  t.equal(write.headers['ratelimit-limit'], undefined, 'writes set to 0: no limit')
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
})

t.test('the defaults are on; RATE_LIMIT_ENABLED=false turns every limit off', async (t) => {
  const byDefault = await appWith({})
  t.equal((await byDefault.inject({ method: 'GET', url: '/v1/widgets', headers: caller })).headers['ratelimit-limit'], '1200')
  t.equal((await byDefault.inject({ method: 'POST', url: '/v1/widgets', headers: caller })).headers['ratelimit-limit'], '600')
  t.equal((await byDefault.inject({ method: 'GET', url: '/v1/dead-letters', headers: caller })).headers['ratelimit-limit'], '120')
  const off = await appWith({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_READS_PER_MINUTE: '1' })
  for (let i = 0; i < 3; i++) {
    const res = await off.inject({ method: 'GET', url: '/v1/widgets', headers: caller })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['ratelimit-limit'], undefined)
  }
})
