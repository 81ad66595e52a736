import t from 'tap'
import Type from 'typebox'
import { loadConfig } from '@orderflow/config'
import { makeEvent, OrderConfirmed } from '@orderflow/contracts'
import { InboxMessage } from '@orderflow/db'
import { provision } from '@orderflow/messaging'
import { buildServiceApp, defineService, openServiceContext, serviceProvisionPlan, serviceSettings } from '@orderflow/runtime'
import { createLogger } from '@orderflow/telemetry'
import { connectTestNats, createTestDatabase, deleteStreamsAfter, mintToken, randomNamespace, TEST_JWT_SECRETS, TEST_NATS_URL } from '@orderflow/testing'

const ops = defineService({
  name: 'opstest',
  configSchema: Type.Object(serviceSettings(9999)),
  entities: [InboxMessage],
  migrationsPath: new URL('./unused', import.meta.url),
  openapi: { title: 'ops test', description: 'dead-letter API under test' },
  deadLetterApi: true,
})

const namespace = randomNamespace()
const url = await createTestDatabase(t)
const config = loadConfig(ops.configSchema, { DATABASE_URL: url, NATS_URL: TEST_NATS_URL, NATS_NAMESPACE: namespace, JWT_SECRETS: TEST_JWT_SECRETS.join(',') })
const { ctx, close } = await openServiceContext(ops, config, createLogger({ serviceName: 'opstest', level: 'silent' }))
t.teardown(() => close())
deleteStreamsAfter(t, await connectTestNats(t), ...ctx.topology.streams().map((s) => s.name))
await provision(ctx.bus.jsm, serviceProvisionPlan(ops, ctx.topology, 1))
const app = buildServiceApp(ops, ctx)
t.teardown(() => app.close())
const operator = { authorization: `Bearer ${mintToken({ roles: ['ops:dlq'] })}` }

/** A message that failed in a consumer, as the runner records it. */
async function deadLetter(): Promise<{ seq: number; eventId: string; subject: string }> {
  const event = makeEvent(OrderConfirmed, { source: 'test', subject: '6f1c4f0e-2c1b-4f7c-9a3e-1f2d3c4b5a69', data: { orderId: '6f1c4f0e-2c1b-4f7c-9a3e-1f2d3c4b5a69' } })
  const subject = ctx.topology.subject(OrderConfirmed.subject)
  const ack = await ctx.bus.js.publish(subject, JSON.stringify(event), { msgID: event.id })
  const { seq } = await ctx.deadLetters.record({
    reason: 'permanent',
    origin: { subject, stream: ack.stream, seq: ack.seq, consumer: 'order-saga', deliveries: 1 },
    error: 'PermanentError: no such order',
    data: new TextEncoder().encode(JSON.stringify(event)),
  })
  return { seq, eventId: event.id, subject }
}

t.test('list and show dead letters with their origin', async (t) => {
  const dl = await deadLetter()
  const list = await app.inject({ method: 'GET', url: '/v1/dead-letters', headers: operator })
  t.equal(list.statusCode, 200)
  t.match(list.json(), { items: [{ seq: dl.seq, reason: 'permanent', eventId: dl.eventId, type: OrderConfirmed.type, origin: { consumer: 'order-saga', subject: dl.subject } }] })
  const one = await app.inject({ method: 'GET', url: `/v1/dead-letters/${dl.seq}`, headers: operator })
  t.match(one.json(), { seq: dl.seq, encoding: 'json', body: { id: dl.eventId, type: OrderConfirmed.type } })
})

t.test('the list pages with nextCursor, the name the orders list uses', async (t) => {
  await deadLetter()
  await deadLetter()
  const first = await app.inject({ method: 'GET', url: '/v1/dead-letters?limit=1', headers: operator })
  const page = first.json<{ items: { seq: number }[]; nextCursor: number | null }>()
  t.equal(page.items.length, 1)
  t.equal(page.nextCursor, page.items[0]?.seq)
  t.notOk('next' in page, 'no other name for it')
  const second = await app.inject({ method: 'GET', url: `/v1/dead-letters?limit=1&after=${page.nextCursor}`, headers: operator })
  t.ok((second.json<{ items: { seq: number }[] }>().items[0]?.seq ?? 0) > (page.nextCursor ?? 0))
  const all = await app.inject({ method: 'GET', url: '/v1/dead-letters?limit=1000', headers: operator })
  t.equal(all.json<{ nextCursor: number | null }>().nextCursor, null)
})

t.test('replay publishes to the original subject with the original event id', async (t) => {
  const dl = await deadLetter()
  const res = await app.inject({ method: 'POST', url: `/v1/dead-letters/${dl.seq}/replay`, headers: operator })
  t.equal(res.statusCode, 202)
  const { seq, stream } = res.json<{ seq: number; stream: string; subject: string }>()
  t.match(res.json(), { subject: dl.subject, eventId: dl.eventId })
  const stored = await ctx.bus.jsm.streams.getMessage(stream, { seq })
  t.equal(stored?.subject, dl.subject)
  t.equal(stored?.json<{ id: string }>().id, dl.eventId)
  t.equal((await app.inject({ method: 'GET', url: `/v1/dead-letters/${dl.seq}`, headers: operator })).statusCode, 404, 'gone after the replay')
})

t.test('purge one, or all with confirmation', async (t) => {
  const a = await deadLetter()
  await deadLetter()
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/dead-letters/${a.seq}`, headers: operator })).statusCode, 204)
  const unconfirmed = await app.inject({ method: 'DELETE', url: '/v1/dead-letters', headers: operator })
  t.match(unconfirmed.json(), { status: 400, code: 'PURGE_NEEDS_CONFIRMATION' })
  const all = await app.inject({ method: 'DELETE', url: '/v1/dead-letters?all=true', headers: operator })
  t.ok(all.json<{ purged: number }>().purged >= 1)
  t.match((await app.inject({ method: 'GET', url: '/v1/dead-letters', headers: operator })).json(), { items: [] })
})

t.test('errors: unknown seq 404, bad seq 400, no role 403, no token 401', async (t) => {
  for (const [method, path] of [['GET', '/v1/dead-letters/999999'], ['POST', '/v1/dead-letters/999999/replay'], ['DELETE', '/v1/dead-letters/999999']] as const) {
    const res = await app.inject({ method, url: path, headers: operator })
    t.equal(res.statusCode, 404, `${method} ${path}`)
    t.match(res.json(), { code: 'DEAD_LETTER_NOT_FOUND' })
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/dead-letters/zero', headers: operator })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/v1/dead-letters', headers: { authorization: `Bearer ${mintToken({ roles: ['orders:read'] })}` } })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/v1/dead-letters' })).statusCode, 401)
})

t.test('a sequence past the exact integers is 400, not a request NATS fails with a 500', async (t) => {
  for (const url of ['/v1/dead-letters/99999999999999999999', '/v1/dead-letters/Infinity', '/v1/dead-letters?after=99999999999999999999']) {
    const res = await app.inject({ method: 'GET', url, headers: operator })
    t.equal(res.statusCode, 400, url)
    t.match(res.json(), { code: 'VALIDATION_FAILED' }, url)
  }
  const deleted = await app.inject({ method: 'DELETE', url: '/v1/dead-letters/99999999999999999999', headers: operator })
  t.equal(deleted.statusCode, 400)
  const last = await app.inject({ method: 'GET', url: `/v1/dead-letters/${Number.MAX_SAFE_INTEGER}`, headers: operator })
  t.match(last.json(), { code: 'DEAD_LETTER_NOT_FOUND' }, 'the largest exact one is simply not there')
})
