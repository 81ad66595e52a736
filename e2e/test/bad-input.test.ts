import { once } from 'node:events'
import { connect } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { checkEvent } from '@orderflow/contracts'
import { commonRoutes } from './support/fuzz/common-requests.js'
import { loggedApps } from './support/fuzz/logged-apps.js'
import { Oracle } from './support/fuzz/oracle.js'
import { orderRoutes } from './support/fuzz/order-requests.js'
import { regressions } from './support/fuzz/regressions.js'
import { seedPlatform } from './support/fuzz/seeding.js'
import { serviceRoutes } from './support/fuzz/service-requests.js'
import { startPlatform } from './support/platform.js'

// Bad input, no 5xx, ever: every public route of every service, against the real PostgreSQL and
// NATS. The order service runs with short client timeouts, for the slow-client test at the end.
const p = await startPlatform(t, { env: { order: { REQUEST_TIMEOUT_MS: '600', HEADERS_TIMEOUT_MS: '300' } } })
const seeds = await seedPlatform(p)
// The same APIs, rebuilt to log their errors: a 500's cause is part of the failure report.
const { targets, causes } = await loggedApps(t, p)
const oracle = new Oracle(targets, causes)

t.test('the 500s found by hand: each a 4xx problem with its code, or an accepted order whose events are valid', async (t) => {
  for (const r of regressions(seeds)) {
    const res = await p.tb[r.request.service].app.inject({ method: r.request.method, url: r.request.url, headers: { ...r.request.headers }, payload: r.request.payload })
    t.equal(res.statusCode, r.status, r.name)
    if (r.code !== undefined) t.equal(res.json<{ code: string }>().code, r.code, `${r.name}: ${r.code}`)
    if (res.statusCode === 202 && r.request.url === '/v1/orders') {
      const { id } = res.json<{ id: string }>()
      const rows = await p.tb.order.orm.em.fork().execute<{ payload: unknown }[]>(`select payload from outbox where payload->>'subject' = ?`, [id])
      t.ok(rows.length > 0 && rows.every((row) => checkEvent(row.payload).ok), `${r.name}: its events are valid`)
    }
    // And the general rules: problem+json, a stable code, nothing stored when refused.
    await oracle.check(r.request)
  }
})

t.test('fuzz: at least 10,000 generated requests; only 2xx and 4xx, problems with stable codes, nothing stored when refused', async (t) => {
  // FUZZ_SEED replays a failed run (fast-check prints the seed and the shrunk request);
  // FUZZ_SCALE=10 sends ten times as many requests, for a longer hunt than CI's.
  const seed = process.env.FUZZ_SEED === undefined ? Date.now() : Number(process.env.FUZZ_SEED)
  const scale = Number(process.env.FUZZ_SCALE ?? 1)
  t.comment(`seed ${seed}, scale ${scale}`)
  const started = Date.now()
  const first = oracle.sent
  for (const route of [...orderRoutes(seeds), ...serviceRoutes(seeds), ...commonRoutes()]) {
    const before = { sent: oracle.sent, statuses: new Map(oracle.statuses), at: Date.now() }
    await fc.assert(
      fc.asyncProperty(route.request, (req) => oracle.check(req)),
      { numRuns: Math.ceil(route.runs * scale), seed },
    )
    const statuses = [...oracle.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n - (before.statuses.get(status) ?? 0)}`)
    t.comment(`${route.name}: ${oracle.sent - before.sent} requests in ${Date.now() - before.at} ms (${statuses.filter((s) => !s.endsWith('×0')).join(' ')})`)
  }
  const sent = oracle.sent - first
  t.ok(sent >= 10_000 * Math.min(scale, 1), `${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`)
})

// The saga clips a cancel reason (and the timeline detail quoting it) to 500 UTF-16 units; cut
// inside a surrogate pair, jsonb refused the saga row (a 500). After the fuzz: it writes orders
// the fuzz's database snapshots do not know of.
t.test('a long cancel reason of astral characters is clipped into text PostgreSQL can store', async (t) => {
  const place = await p.tb.order.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: p.tb.order.auth(['orders:write']),
    payload: { customerId: 'c-1', email: 'ada@example.com', currency: 'EUR', items: [{ sku: seeds.skus[0] ?? 'SKU', quantity: 1 }], payment: { method: 'card', token: 'tok_visa' } },
  })
  const { id } = place.json<{ id: string }>()
  for (const reason of ['😀'.repeat(254), `a${'😀'.repeat(249)}`]) {
    const res = await p.tb.order.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: p.tb.order.auth(['orders:write']), payload: { reason } })
    t.equal(res.statusCode, 202, `${reason.length} UTF-16 units`)
  }
})

t.test('a service cuts a client whose body never comes off with 408 and frees the socket (REQUEST_TIMEOUT_MS)', async (t) => {
  const app = p.tb.order.app
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  const socket = connect(address.port, '127.0.0.1')
  await once(socket, 'connect')
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  const { authorization } = p.tb.order.auth(['orders:write'])
  socket.write(`POST /v1/orders HTTP/1.1\r\nHost: fuzz\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"customerId":"c-1"`)
  const sentAt = Date.now()
  const limit = setTimeout(() => socket.destroy(), 5_000)
  await once(socket, 'close')
  clearTimeout(limit)
  t.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  t.match(received, /"code":"REQUEST_TIMEOUT"/)
  t.ok(Date.now() - sentAt < 3_000, `closed after ${Date.now() - sentAt} ms (REQUEST_TIMEOUT_MS=600)`)
  const open = await new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))))
  t.equal(open, 0, 'no connection left open')
})
